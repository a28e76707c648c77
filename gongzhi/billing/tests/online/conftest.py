"""The online-payment world: the billing world (``fees``) plus a local gateway simulator playing WeChat Pay and
Alipay with test keys generated once per test session, and the settings that point the providers at it."""

import pytest

from gongzhi.billing.providers.simulator import GatewaySimulator, TestKeys, settings_for


@pytest.fixture(scope="session")
def gateway_keys(tmp_path_factory) -> TestKeys:
    return TestKeys.create(tmp_path_factory.mktemp("gateway-keys"))


@pytest.fixture(scope="session")
def _gateway_server(gateway_keys):
    simulator = GatewaySimulator(gateway_keys).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def gateway(_gateway_server, settings) -> GatewaySimulator:
    """The simulator, with the WeChat Pay and Alipay providers configured against it."""
    for name, value in settings_for(_gateway_server.keys, _gateway_server.url).items():
        setattr(settings, name, value)
    settings.BILLING_PUBLIC_URL = "https://pay.example.test"
    _gateway_server.fail_next = None
    return _gateway_server
