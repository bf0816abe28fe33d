"""kyudo.config: options, their defaults, byte sizes, and scoped changes."""
from __future__ import annotations

import threading

import pytest

import kyudo.config as config
from kyudo.config import parse_bytes


def test_defaults():
    assert config.get("scheduler") == "threads"
    assert config.get("num_workers") is None
    assert config.get("num_workers", 4) == 4
    assert config.get("split_every") == 8
    assert config.get("partition_size") == 128_000_000
    assert config.get("broadcast_threshold") == 32_000_000
    assert config.get("optimizer_disabled") == frozenset()
    assert config.get("no-such-option", "fallback") == "fallback"


def test_set_as_context_manager_restores_on_exit_even_after_errors():
    with pytest.raises(RuntimeError):
        with config.set(scheduler="sync", split_every=4):
            assert (config.get("scheduler"), config.get("split_every")) == ("sync", 4)
            raise RuntimeError
    assert (config.get("scheduler"), config.get("split_every")) == ("threads", 8)


def test_nested_blocks_restore_in_order():
    with config.set(split_every=4):
        with config.set(split_every=16):
            assert config.get("split_every") == 16
        assert config.get("split_every") == 4
    assert config.get("split_every") == 8


def test_plain_call_changes_for_good():
    config.set(partition_size="1GB")
    try:
        assert config.get("partition_size") == 10**9
    finally:
        config.set(partition_size="128MB")


def test_optimizer_rules_are_named_one_or_many():
    with config.set(optimizer_disabled="predicate_pushdown"):
        assert config.get("optimizer_disabled") == {"predicate_pushdown"}
    with config.set(optimizer_disabled=["a", "b"]):
        assert config.get("optimizer_disabled") == {"a", "b"}
    with pytest.raises(ValueError):
        config.set(optimizer_disabled=[1])


def test_changes_are_seen_by_other_threads():
    seen = []
    with config.set(scheduler="sync"):
        thread = threading.Thread(target=lambda: seen.append(config.get("scheduler")))
        thread.start()
        thread.join()
    assert seen == ["sync"]


def test_concurrent_sets_do_not_lose_values():
    def toggle():
        for _ in range(500):
            with config.set(split_every=3):
                pass

    threads = [threading.Thread(target=toggle) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # blocks overlap across threads, so a block may restore another's value; what
    # must hold is that every value is one somebody set
    assert config.get("split_every") in (3, 8)
    config.set(split_every=8)


@pytest.mark.parametrize("bad", [{"nope": 1}, {"split_every": 1}, {"num_workers": 0},
                                 {"partition_size": "lots"}, {"scheduler": None}])
def test_invalid_options_are_refused_and_change_nothing(bad):
    with pytest.raises((KeyError, ValueError)):
        config.set(broadcast_threshold="1MB", **bad)  # a valid change alongside
    assert config.get("broadcast_threshold") == 32_000_000
    assert config.get("split_every") == 8


@pytest.mark.parametrize("text, expected", [
    ("128MB", 128_000_000), ("128 mb", 128_000_000), ("1.5GB", 1_500_000_000),
    ("1KiB", 1024), ("2 MiB", 2 * 2**20), ("100", 100), ("100B", 100), ("1e3", 1000),
    (4096, 4096), (2.5, 2), ("0", 0),
])
def test_parse_bytes(text, expected):
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("bad", ["", "MB", "12 XB", "-1", "1.2.3", [1]])
def test_parse_bytes_rejects(bad):
    with pytest.raises((ValueError, TypeError)):
        parse_bytes(bad)
