"""confluent-kafka produce/consume on the real broker, with keys and headers."""

from kafka_kit import KafkaKit


def test_produce_and_consume_keys_headers(kafka: KafkaKit) -> None:
    topic = kafka.topic("roundtrip", partitions=3)
    sent = [(f"k{i}", f"v{i}", [("h", f"x{i}".encode())]) for i in range(50)]
    kafka.produce(topic, sent)
    got = kafka.read_all(topic, expected=50)
    assert sorted((m.key, m.value, m.header("h")) for m in got) == sorted(
        (k.encode(), v.encode(), h[0][1]) for k, v, h in sent
    )
    # one key -> one partition, in production order
    by_key: dict[bytes | None, set[int]] = {}
    for m in got:
        by_key.setdefault(m.key, set()).add(m.partition)
    assert all(len(parts) == 1 for parts in by_key.values())
    assert len({m.partition for m in got}) > 1
