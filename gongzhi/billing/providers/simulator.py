"""A local gateway that plays WeChat Pay (API v3) and Alipay (openapi, RSA2) with TEST keys, so that tests and the
benchmark go end to end through the real SDK code paths with no network.

- ``TestKeys.create(directory)`` generates (once; later calls load them) the merchant's and the gateways' RSA keys
  with ``cryptography`` and the APIv3 key, into a temporary directory in tests or ``var/`` for a demo. They are
  test keys: never commit them, never configure them in production.
- ``GatewaySimulator(keys).start()`` listens on 127.0.0.1 (a free port): ``POST /v3/pay/transactions/native``
  checks the merchant's ``Authorization`` signature and answers a ``code_url`` signed with the WeChat Pay key, as the
  SDK requires; ``GET /gateway.do`` checks the app's RSA2 signature and answers ``alipay.trade.precreate`` signed
  with the Alipay key. It remembers the orders it was given.
- ``wechat_notification`` / ``alipay_notification`` build notifications signed (and, for WeChat Pay, encrypted with
  AES-256-GCM) exactly as the gateways do; keyword arguments forge any field for the tests of refusals.
- ``settings_for(keys, gateway_url)`` is the ``BILLING_*`` settings that point the providers at it."""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, quote_plus, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILES = ("wechat_merchant_key.pem", "wechat_merchant_pub.pem", "wechat_platform_key.pem",
             "wechat_platform_pub.pem", "alipay_app_key.pem", "alipay_app_pub.pem", "alipay_key.pem",
             "alipay_pub.pem")


@dataclass
class TestKeys:
    directory: str
    wechat_mchid: str = "1900000109"
    wechat_appid: str = "wx8888888888888888"
    wechat_cert_serial_no: str = "5157F09EFDC096DE15EBE81A47057A72TEST"
    wechat_public_key_id: str = "PUB_KEY_ID_0119000001092025TEST"
    wechat_apiv3_key: str = ""
    alipay_appid: str = "2021000000000000"
    alipay_seller_id: str = "2088000000000000"

    __test__ = False  # not a pytest test class

    @classmethod
    def create(cls, directory) -> TestKeys:
        """Generate the keys into ``directory`` the first time; load them afterwards."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        meta = path / "keys.json"
        if meta.exists():
            return cls(**json.loads(meta.read_text()))
        for prefix in ("wechat_merchant", "wechat_platform", "alipay_app", "alipay"):
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            (path / f"{prefix}_key.pem").write_bytes(key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            (path / f"{prefix}_pub.pem").write_bytes(key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        keys = cls(directory=str(path), wechat_apiv3_key=secrets.token_hex(16))
        (path / "apiv3.key").write_text(keys.wechat_apiv3_key)
        meta.write_text(json.dumps(asdict(keys)))
        return keys

    def path(self, name: str) -> str:
        return str(Path(self.directory) / name)

    def private(self, name: str):
        return serialization.load_pem_private_key(Path(self.path(name)).read_bytes(), password=None)

    def public(self, name: str):
        return serialization.load_pem_public_key(Path(self.path(name)).read_bytes())


def settings_for(keys: TestKeys, gateway_url: str) -> dict:
    """The ``BILLING_*`` settings that make the WeChat Pay and Alipay providers talk to the simulator."""
    return {
        "BILLING_WECHAT_MCHID": keys.wechat_mchid, "BILLING_WECHAT_APPID": keys.wechat_appid,
        "BILLING_WECHAT_CERT_SERIAL_NO": keys.wechat_cert_serial_no,
        "BILLING_WECHAT_PRIVATE_KEY_PATH": keys.path("wechat_merchant_key.pem"),
        "BILLING_WECHAT_APIV3_KEY": keys.wechat_apiv3_key,
        "BILLING_WECHAT_PUBLIC_KEY_PATH": keys.path("wechat_platform_pub.pem"),
        "BILLING_WECHAT_PUBLIC_KEY_ID": keys.wechat_public_key_id,
        "BILLING_WECHAT_GATEWAY": gateway_url,
        "BILLING_ALIPAY_APPID": keys.alipay_appid, "BILLING_ALIPAY_SELLER_ID": keys.alipay_seller_id,
        "BILLING_ALIPAY_PRIVATE_KEY_PATH": keys.path("alipay_app_key.pem"),
        "BILLING_ALIPAY_PUBLIC_KEY_PATH": keys.path("alipay_pub.pem"),
        "BILLING_ALIPAY_GATEWAY": f"{gateway_url}/gateway.do",
    }


def _sign(private_key, message: str) -> str:
    return base64.b64encode(private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def _verify(public_key, message: str, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def _nonce(n: int = 32) -> str:
    return secrets.token_hex(n // 2).upper()


_AUTH = re.compile(r'(\w+)="([^"]*)"')


class GatewaySimulator:
    """Plays both gateways. ``orders`` maps out_trade_no to what the merchant asked for."""

    def __init__(self, keys: TestKeys):
        self.keys = keys
        self.orders: dict[str, dict] = {}
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status answered)
        self.fail_next: int | None = None  # answer the next order creation with this HTTP status
        self._wechat_platform = keys.private("wechat_platform_key.pem")
        self._wechat_merchant_pub = keys.public("wechat_merchant_pub.pem")
        self._alipay = keys.private("alipay_key.pem")
        self._alipay_app_pub = keys.public("alipay_app_pub.pem")
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- the server ----------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start() the simulator first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> GatewaySimulator:
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status: int, body: bytes, headers: dict[str, str]):
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                simulator.requests.append((self.command, self.path, status))

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                self._answer(*simulator.wechat_order(self.command, self.path, dict(self.headers), body))

            def do_GET(self):
                path = urlsplit(self.path)
                if path.path.startswith("/v3/pay/transactions/out-trade-no/"):
                    self._answer(*simulator.wechat_query(path.path.rsplit("/", 1)[-1]))
                elif path.path == "/gateway.do":
                    self._answer(*simulator.alipay_api(path.query))
                else:
                    self._answer(404, b"{}", {"Content-Type": "application/json"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="gateway-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _paid_as(self, out_trade_no: str, prefix: str) -> str:
        """The gateway's transaction id of an order: one per order, so a retried notification carries the same."""
        order = self.orders.setdefault(out_trade_no, {})
        return order.setdefault("transaction_id", f"{prefix}{secrets.randbelow(10**24):024d}")

    # --- WeChat Pay ----------------------------------------------------------------------------------------------
    def _wechat_signed(self, status: int, payload: dict) -> tuple[int, bytes, dict[str, str]]:
        body = json.dumps(payload, ensure_ascii=False)
        timestamp, nonce = str(int(time.time())), _nonce()
        return status, body.encode(), {
            "Content-Type": "application/json; charset=utf-8",
            "Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce,
            "Wechatpay-Serial": self.keys.wechat_public_key_id,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
            "Wechatpay-Signature": _sign(self._wechat_platform, f"{timestamp}\n{nonce}\n{body}\n"),
        }

    def _wechat_authorized(self, method: str, path: str, headers: dict[str, str], body: str) -> bool:
        authorization = headers.get("Authorization", "")
        if not authorization.startswith("WECHATPAY2-SHA256-RSA2048 "):
            return False
        fields = dict(_AUTH.findall(authorization))
        if fields.get("mchid") != self.keys.wechat_mchid or fields.get("serial_no") != self.keys.wechat_cert_serial_no:
            return False
        message = f"{method}\n{path}\n{fields.get('timestamp')}\n{fields.get('nonce_str')}\n{body}\n"
        return _verify(self._wechat_merchant_pub, message, fields.get("signature", ""))

    def wechat_order(self, method: str, path: str, headers: dict[str, str], body: str):
        if path != "/v3/pay/transactions/native":
            return self._wechat_signed(404, {"code": "NOT_FOUND", "message": "no such API"})
        if not self._wechat_authorized(method, path, headers, body):
            return self._wechat_signed(401, {"code": "SIGN_ERROR", "message": "签名错误"})
        if self.fail_next is not None:
            status, self.fail_next = self.fail_next, None
            return self._wechat_signed(status, {"code": "SYSTEM_ERROR", "message": "系统错误"})
        data = json.loads(body)
        if data.get("mchid") != self.keys.wechat_mchid or data.get("appid") != self.keys.wechat_appid:
            return self._wechat_signed(400, {"code": "PARAM_ERROR", "message": "商户号或应用ID错误"})
        self.orders[data["out_trade_no"]] = {"provider": "wechat", "total": data["amount"]["total"],
                                             "notify_url": data.get("notify_url", "")}
        return self._wechat_signed(200, {"code_url": f"weixin://wxpay/bizpayurl?pr={_nonce(12)}"})

    def wechat_query(self, out_trade_no: str):
        order = self.orders.get(out_trade_no)
        if order is None:
            return self._wechat_signed(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
        return self._wechat_signed(200, {"out_trade_no": out_trade_no, "trade_state": "NOTPAY",
                                         "amount": {"total": order["total"]}})

    def wechat_notification(self, out_trade_no: str, *, total: int | None = None, mchid: str | None = None,
                            appid: str | None = None, trade_state: str = "SUCCESS", transaction_id: str | None = None,
                            sign_with=None, serial: str | None = None, apiv3_key: str | None = None
                            ) -> tuple[dict[str, str], bytes]:
        """The headers and body WeChat Pay posts for a paid order; any keyword forges that part."""
        if total is None:
            total = self.orders.get(out_trade_no, {}).get("total", 0)
        resource = {
            "mchid": mchid or self.keys.wechat_mchid, "appid": appid or self.keys.wechat_appid,
            "out_trade_no": out_trade_no, "transaction_id": transaction_id or self._paid_as(out_trade_no, "4200"),
            "trade_type": "NATIVE", "trade_state": trade_state, "trade_state_desc": "支付成功", "bank_type": "OTHERS",
            "attach": "", "success_time": time.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
            "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "amount": {"total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"},
        }
        nonce, associated = secrets.token_hex(6), "transaction"
        key = (apiv3_key or self.keys.wechat_apiv3_key).encode()
        ciphertext = AESGCM(key).encrypt(nonce.encode(), json.dumps(resource, ensure_ascii=False).encode(),
                                         associated.encode())
        body = json.dumps({
            "id": f"EV-{_nonce(16)}", "create_time": time.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
            "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
            "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                         "ciphertext": base64.b64encode(ciphertext).decode(), "associated_data": associated,
                         "nonce": nonce}}, ensure_ascii=False)
        timestamp, header_nonce = str(int(time.time())), _nonce()
        signature = _sign(sign_with or self._wechat_platform, f"{timestamp}\n{header_nonce}\n{body}\n")
        return {"Content-Type": "application/json", "Wechatpay-Timestamp": timestamp,
                "Wechatpay-Nonce": header_nonce, "Wechatpay-Serial": serial or self.keys.wechat_public_key_id,
                "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048", "Wechatpay-Signature": signature,
                }, body.encode()

    # --- Alipay --------------------------------------------------------------------------------------------------
    def _alipay_signed(self, response_type: str, payload: dict) -> tuple[int, bytes, dict[str, str]]:
        content = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        body = f'{{"{response_type}":{content},"sign":"{_sign(self._alipay, content)}"}}'
        return 200, body.encode(), {"Content-Type": "text/html;charset=utf-8"}

    def alipay_api(self, query: str):
        data = dict(parse_qsl(query, keep_blank_values=True))
        method = data.get("method", "")
        response_type = method.replace(".", "_") + "_response"
        signature = data.pop("sign", "")
        message = "&".join(f"{k}={v}" for k, v in sorted(data.items()))
        if data.get("app_id") != self.keys.alipay_appid or not _verify(self._alipay_app_pub, message, signature):
            return 200, json.dumps({"error_response": {"code": "40002", "msg": "Invalid Arguments",
                                                       "sub_code": "isv.invalid-signature"}}).encode(), {}
        biz = json.loads(data.get("biz_content") or "{}")
        if method == "alipay.trade.precreate":
            if self.fail_next is not None:
                self.fail_next = None
                return self._alipay_signed(response_type, {"code": "20000", "msg": "Service Currently Unavailable",
                                                           "sub_code": "aop.ACQ.SYSTEM_ERROR"})
            self.orders[biz["out_trade_no"]] = {"provider": "alipay", "total_amount": biz["total_amount"],
                                                "notify_url": data.get("notify_url", "")}
            return self._alipay_signed(response_type, {
                "code": "10000", "msg": "Success", "out_trade_no": biz["out_trade_no"],
                "qr_code": f"https://qr.alipay.com/bax{_nonce(20).lower()}"})
        if method == "alipay.trade.query":
            order = self.orders.get(biz.get("out_trade_no", ""))
            if order is None:
                return self._alipay_signed(response_type, {"code": "40004", "msg": "Business Failed",
                                                           "sub_code": "ACQ.TRADE_NOT_EXIST"})
            return self._alipay_signed(response_type, {"code": "10000", "msg": "Success",
                                                       "out_trade_no": biz["out_trade_no"],
                                                       "trade_status": "WAIT_BUYER_PAY",
                                                       "total_amount": order["total_amount"]})
        return self._alipay_signed(response_type, {"code": "40004", "msg": "Business Failed",
                                                   "sub_code": "ACQ.INVALID_METHOD"})

    def alipay_notification(self, out_trade_no: str, *, total_amount: str | None = None, app_id: str | None = None,
                            seller_id: str | None = None, trade_status: str = "TRADE_SUCCESS",
                            trade_no: str | None = None, sign_with=None) -> bytes:
        """The form body Alipay posts for a paid order (``sign`` over the sorted fields without ``sign`` and
        ``sign_type``, RSA2 with the Alipay key); any keyword forges that part."""
        if total_amount is None:
            total_amount = self.orders.get(out_trade_no, {}).get("total_amount", "0.00")
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        data = {
            "notify_time": now, "notify_type": "trade_status_sync", "notify_id": _nonce(32).lower(),
            "charset": "utf-8", "version": "1.0", "app_id": app_id or self.keys.alipay_appid,
            "auth_app_id": app_id or self.keys.alipay_appid,
            "trade_no": trade_no or self._paid_as(out_trade_no, "2026"), "out_trade_no": out_trade_no,
            "out_biz_no": "", "buyer_id": "2088102122524333", "buyer_logon_id": "159****5620",
            "seller_id": seller_id or self.keys.alipay_seller_id, "seller_email": "zhanghu@alitest.com",
            "trade_status": trade_status, "total_amount": total_amount, "receipt_amount": total_amount,
            "buyer_pay_amount": total_amount, "subject": f"物业费 {out_trade_no}", "gmt_create": now,
            "gmt_payment": now, "fund_bill_list": json.dumps([{"amount": total_amount, "fundChannel": "ALIPAYACCOUNT"}]),
        }
        data = {k: v for k, v in data.items() if v != ""}
        message = "&".join(f"{k}={v}" for k, v in sorted(data.items()))
        data["sign"] = _sign(sign_with or self._alipay, message)
        data["sign_type"] = "RSA2"
        return "&".join(f"{k}={quote_plus(v)}" for k, v in data.items()).encode()
