import pytest
from pydantic import SecretStr

from connectors.kafka_config import consumer_config, producer_config
from stream_engine.errors import ConfigError
from stream_engine.settings import load_settings


def test_bootstrap_from_conventional_and_prefixed_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "a:1")
    assert load_settings().kafka_bootstrap_servers == "a:1"
    monkeypatch.setenv("STREAM_ENGINE_KAFKA_BOOTSTRAP_SERVERS", "b:2")
    assert load_settings().kafka_bootstrap_servers == "b:2"


def test_secrets_never_in_repr_or_str(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAM_ENGINE_KAFKA_SASL_PASSWORD", "hunter2-secret")
    monkeypatch.setenv("STREAM_ENGINE_KAFKA_SASL_USERNAME", "svc")
    settings = load_settings()
    assert "hunter2-secret" not in repr(settings)
    assert "hunter2-secret" not in str(settings)
    assert "hunter2-secret" not in settings.model_dump_json()
    assert settings.kafka_sasl_password == SecretStr("hunter2-secret")


def test_invalid_port_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAM_ENGINE_METRICS_PORT", "nine")
    with pytest.raises(ConfigError) as err:
        load_settings()
    message = str(err.value)
    assert message.startswith("invalid setting STREAM_ENGINE_METRICS_PORT:")
    assert "\n" not in message


def test_invalid_password_value_does_not_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAM_ENGINE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("STREAM_ENGINE_KAFKA_SASL_PASSWORD", "pw-123-secret")
    monkeypatch.setenv("STREAM_ENGINE_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "STREAM_ENGINE_LOG_FORMAT" in str(err.value)
    assert "pw-123-secret" not in str(err.value)


def test_producer_uses_murmur2_and_acks_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "h:9")
    monkeypatch.setenv("STREAM_ENGINE_KAFKA_SASL_PASSWORD", "pw")
    monkeypatch.setenv("STREAM_ENGINE_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("STREAM_ENGINE_KAFKA_SASL_MECHANISM", "PLAIN")
    conf = producer_config(load_settings())
    assert conf["partitioner"] == "murmur2_random"
    assert conf["acks"] == "all"
    assert conf["enable.idempotence"] is True
    assert conf["sasl.password"] == "pw"
    assert conf["security.protocol"] == "SASL_PLAINTEXT"
    assert consumer_config(load_settings(), "g")["enable.auto.commit"] is False


def test_no_bootstrap_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("STREAM_ENGINE_KAFKA_BOOTSTRAP_SERVERS", raising=False)
    with pytest.raises(ConfigError, match="KAFKA_BOOTSTRAP_SERVERS"):
        producer_config(load_settings())
