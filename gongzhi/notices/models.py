"""Notices (通知公告): published to the estate or to chosen buildings and units, with read receipts."""
