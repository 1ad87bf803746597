"""PipelineMetrics counts a BatchResult under the right labels; MetricsServer serves them."""

import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from stream_engine.errors import ConfigError
from stream_engine.monitor import MetricsServer, PipelineMetrics
from stream_engine.topology import BatchCounters, BatchResult


def result(source: str = "page_views") -> BatchResult:
    counters = BatchCounters(
        records_in=10,
        passed=4,
        filtered=Counter({"steps[1]": 2}),
        dropped=Counter({"steps[0]": 1}),
        dead=Counter({("decode", "decode"): 2, ("map", "eval_error"): 1}),
        out=Counter({"enriched": 4, "slim": 4}),
    )
    assert counters.balanced()
    return BatchResult(source, counters=counters, step_seconds={"decode": 0.002, "map": 0.0003})


@pytest.fixture
def metrics() -> PipelineMetrics:
    return PipelineMetrics("clickstream")


def sample(metrics: PipelineMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, {"pipeline": "clickstream", **labels})


EXPECTED = [
    ("stream_engine_records_in_total", {"source": "page_views"}, 10),
    ("stream_engine_records_out_total", {"sink": "enriched"}, 4),
    ("stream_engine_records_out_total", {"sink": "slim"}, 4),
    ("stream_engine_dead_letters_total", {"stage": "decode", "reason": "decode"}, 2),
    ("stream_engine_dead_letters_total", {"stage": "map", "reason": "eval_error"}, 1),
    ("stream_engine_records_filtered_total", {"step": "steps[1]"}, 2),
    ("stream_engine_records_dropped_total", {"step": "steps[0]"}, 1),
    ("stream_engine_batch_size_count", {"source": "page_views"}, 1),
    ("stream_engine_batch_size_sum", {"source": "page_views"}, 10),
    ("stream_engine_step_seconds_count", {"step": "decode"}, 1),
    ("stream_engine_step_seconds_count", {"step": "map"}, 1),
]


@pytest.mark.parametrize(
    ("name", "labels", "value"), EXPECTED, ids=[f"{n}-{v}" for n, _, v in EXPECTED]
)
def test_observe_counts_each_outcome_under_its_labels(
    metrics: PipelineMetrics, name: str, labels: dict[str, str], value: float
) -> None:
    metrics.observe(result())

    assert sample(metrics, name, **labels) == value


def test_observations_accumulate(metrics: PipelineMetrics) -> None:
    metrics.observe(result())
    metrics.observe(result())
    metrics.observe(result("other_source"))

    assert sample(metrics, "stream_engine_records_in_total", source="page_views") == 20
    assert sample(metrics, "stream_engine_records_in_total", source="other_source") == 10
    assert sample(metrics, "stream_engine_records_out_total", sink="slim") == 12
    assert sample(metrics, "stream_engine_batch_size_count", source="page_views") == 2
    step_sum = sample(metrics, "stream_engine_step_seconds_sum", step="decode")
    assert step_sum == pytest.approx(0.006)


def test_batch_size_lands_in_the_right_bucket(metrics: PipelineMetrics) -> None:
    metrics.observe(result())

    def bucket(le: str) -> float | None:
        return sample(metrics, "stream_engine_batch_size_bucket", source="page_views", le=le)

    assert bucket("5.0") == 0
    assert bucket("10.0") == 1
    assert bucket("+Inf") == 1


def test_labels_never_seen_have_no_sample(metrics: PipelineMetrics) -> None:
    metrics.observe(BatchResult("page_views"))  # an empty batch

    assert sample(metrics, "stream_engine_records_in_total", source="page_views") == 0
    assert sample(metrics, "stream_engine_records_out_total", sink="enriched") is None
    assert sample(metrics, "stream_engine_dead_letters_total", stage="map", reason="x") is None


def test_observe_step_records_one_timing(metrics: PipelineMetrics) -> None:
    metrics.observe_step("commit", 0.25)

    assert sample(metrics, "stream_engine_step_seconds_count", step="commit") == 1
    assert sample(metrics, "stream_engine_step_seconds_sum", step="commit") == 0.25


def test_each_pipeline_metrics_has_its_own_registry() -> None:
    one, two = PipelineMetrics("clickstream"), PipelineMetrics("clickstream")
    one.observe(result())

    assert two.registry.get_sample_value(
        "stream_engine_records_in_total", {"pipeline": "clickstream", "source": "page_views"}
    ) in (None, 0)
    shared = CollectorRegistry()
    assert PipelineMetrics("x", shared).registry is shared


# The HTTP endpoints.


def get(server: MetricsServer, path: str) -> tuple[int, str, str]:
    url = f"http://127.0.0.1:{server.port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], error.read().decode()


class Served:
    """One server for the module: closing one waits for serve_forever's 0.5 s poll."""

    def __init__(self) -> None:
        self.metrics = PipelineMetrics("clickstream")
        self.ready = (True, "ready: 2 partitions assigned")
        self.server = MetricsServer(self.metrics.registry, "127.0.0.1", 0, ready=lambda: self.ready)
        self.server.start()


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    state = Served()
    yield state
    state.server.close()


@pytest.fixture
def server(served: Served) -> MetricsServer:
    served.ready = (True, "ready: 2 partitions assigned")
    served.server.beat()
    return served.server


def test_server_binds_a_free_port(server: MetricsServer) -> None:
    assert server.port > 0


def test_metrics_endpoint_serves_the_registry(server: MetricsServer, served: Served) -> None:
    served.metrics.observe(result("served"))

    status, content_type, body = get(server, "/metrics?name[]=ignored")

    assert status == 200
    assert content_type.startswith("text/plain")
    assert 'stream_engine_records_in_total{pipeline="clickstream",source="served"} 10.0' in body
    assert (
        'stream_engine_dead_letters_total{pipeline="clickstream",reason="decode",stage="decode"}'
        in body
    )


def test_health_is_ok_while_the_heartbeat_is_fresh(server: MetricsServer) -> None:
    assert get(server, "/health") == (200, "text/plain", "ok\n")


def test_health_is_503_when_the_heartbeat_is_stale(metrics: PipelineMetrics) -> None:
    srv = MetricsServer(metrics.registry, "127.0.0.1", 0, stale_after_s=0.05)
    srv.start()
    try:
        assert get(srv, "/health") == (200, "text/plain", "starting\n")  # no beat yet
        srv.beat()
        time.sleep(0.1)  # no beat since

        status, _, body = get(srv, "/health")
        assert status == 503
        assert body.startswith("event loop unresponsive for ")

        srv.beat()
        assert get(srv, "/health")[0] == 200
    finally:
        srv.close()


def test_ready_follows_the_callback(server: MetricsServer, served: Served) -> None:
    assert get(server, "/ready") == (200, "text/plain", "ready: 2 partitions assigned\n")

    served.ready = (False, "not ready: loading reference tables")

    assert get(server, "/ready") == (503, "text/plain", "not ready: loading reference tables\n")


@pytest.mark.parametrize("path", ["/", "/nope", "/metrics/extra", "/healthz"])
def test_unknown_paths_are_404(server: MetricsServer, path: str) -> None:
    assert get(server, path) == (404, "text/plain", "not found\n")


def test_a_port_in_use_is_a_config_error(server: MetricsServer) -> None:
    with pytest.raises(ConfigError, match=f"127.0.0.1:{server.port}"):
        MetricsServer(CollectorRegistry(), "127.0.0.1", server.port)
