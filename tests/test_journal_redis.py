"""The journal on a real Redis server, under Optuna's JournalRedisBackend keys."""

import pytest

import fasthpo
from fasthpo.samplers import RandomSampler
from fasthpo.storages import JournalRedisStorage, get_storage

from test_journal_format import rich_objective, summary

optuna = pytest.importorskip("optuna")
pytest.importorskip("redis")


def n_records(url, prefix):
    """The records in the journal, from Optuna's counter key."""
    import redis

    return int(redis.Redis.from_url(url).get(f"{prefix}:log_number")) + 1


def optuna_redis(url, prefix):
    return optuna.storages.JournalStorage(optuna.storages.journal.JournalRedisBackend(url, prefix=prefix))


@pytest.mark.filterwarnings("ignore:Trial .* failed")
@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_fasthpo_and_optuna_share_a_redis_journal(redis_server_url, redis_prefix):
    storage = JournalRedisStorage(redis_server_url, prefix=redis_prefix)
    study = fasthpo.create_study(study_name="s", storage=storage, sampler=RandomSampler(seed=0))
    study.set_user_attr("k", [1, 2])
    study.optimize(rich_objective, n_trials=12, catch=(RuntimeError,))
    study.enqueue_trial({"x": 1.0, "c": None})

    loaded = optuna.load_study(study_name="s", storage=optuna_redis(redis_server_url, redis_prefix))
    assert summary(loaded.trials) == summary(study.trials)
    assert loaded.user_attrs == {"k": [1, 2]}
    loaded.optimize(rich_objective, n_trials=4, catch=(RuntimeError,))  # Optuna appends, takes the queued trial

    again = fasthpo.load_study(study_name="s", storage=JournalRedisStorage(redis_server_url, prefix=redis_prefix))
    assert summary(again.trials) == summary(loaded.trials) and again.trials[12].params["x"] == 1.0
    study.optimize(rich_objective, n_trials=2, catch=(RuntimeError,))  # the first storage catches up, goes on
    assert [t.number for t in study.trials] == list(range(18))


def test_group_appends_are_consecutive_records(redis_server_url, redis_prefix):
    storage = JournalRedisStorage(redis_server_url, prefix=redis_prefix)
    study = fasthpo.create_study(study_name="s", storage=storage)
    store = study._store
    distribution = fasthpo.FloatDistribution(0, 1)
    numbers = store.create_trials([{"x": (distribution, 0.25)}, {"x": (distribution, 0.5)}, {}])
    assert numbers == [0, 1, 2]
    store.finish_trials([(0, fasthpo.TrialState.COMPLETE, [1.0]), (2, fasthpo.TrialState.FAIL, None)])
    loaded = fasthpo.load_study(study_name="s", storage=JournalRedisStorage(redis_server_url, prefix=redis_prefix))
    assert [(t.state.name, t.params, t.values) for t in loaded.trials] == [
        ("COMPLETE", {"x": 0.25}, [1.0]), ("RUNNING", {"x": 0.5}, None), ("FAIL", {}, None)]
    assert n_records(redis_server_url, redis_prefix) == 1 + 3 + 2


def test_redis_url_storage_and_a_server_that_is_down(redis_server_url, redis_prefix):
    assert isinstance(get_storage(redis_server_url), JournalRedisStorage)
    storage = JournalRedisStorage(redis_server_url, prefix=redis_prefix)
    fasthpo.create_study(study_name="s", storage=storage).optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    size = n_records(redis_server_url, redis_prefix)
    with pytest.raises(KeyError, match=f"No study named 'nope' in '{redis_server_url}'"):
        fasthpo.load_study(study_name="nope", storage=storage)
    with pytest.raises(KeyError, match="No study named 'nope'"):
        fasthpo.delete_study(study_name="nope", storage=storage)
    JournalRedisStorage(redis_server_url, prefix=redis_prefix)
    assert n_records(redis_server_url, redis_prefix) == size
    with pytest.raises(ConnectionError, match="Cannot reach the Redis server at 'redis://127.0.0.1:1/0'"):
        JournalRedisStorage("redis://127.0.0.1:1/0")
    with pytest.raises(ValueError, match="Bad Redis URL 'http://x'"):
        JournalRedisStorage("http://x")
    with pytest.raises(TypeError, match="url"):
        JournalRedisStorage(None)


def test_a_worker_far_behind_catches_up_on_its_next_append(redis_server_url, redis_prefix):
    # Each append brings back what others appended since the worker's last read, in the
    # same round trip; when that is more than a read batch, the next read fetches it.
    behind = fasthpo.create_study(study_name="s", storage=JournalRedisStorage(redis_server_url, prefix=redis_prefix))
    ahead = fasthpo.load_study(study_name="s", storage=JournalRedisStorage(redis_server_url, prefix=redis_prefix))
    distribution = fasthpo.FloatDistribution(0, 1)
    n_before = 0
    for n in (5, 4500):  # a few records, then more than a read batch
        ahead._store.create_trials([{"x": (distribution, i / n)} for i in range(n)])
        n_before += n
        (number,) = behind._store.create_trials([{"x": (distribution, 1.0)}])  # an append with no read before
        assert number == n_before  # after the other worker's trials
        n_before += 1
    trials = behind.trials
    assert len(trials) == n_before == 4507
    assert trials[5].params == trials[-1].params == {"x": 1.0} and trials[4000].params == {"x": (4000 - 6) / 4500}
    assert n_records(redis_server_url, redis_prefix) == 1 + 4507
    again = fasthpo.load_study(study_name="s", storage=JournalRedisStorage(redis_server_url, prefix=redis_prefix))
    assert [t.params for t in again.trials] == [t.params for t in trials]


def test_a_connection_the_server_closed_is_made_again_before_the_next_request(redis_server_url, redis_prefix):
    import redis

    storage = JournalRedisStorage(redis_server_url, prefix=redis_prefix)
    study = fasthpo.create_study(study_name="s", storage=storage, sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    redis.Redis.from_url(redis_server_url).client_kill_filter(_id=storage._backend._redis.client_id())
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)  # no error, nothing written twice
    again = fasthpo.load_study(study_name="s", storage=JournalRedisStorage(redis_server_url, prefix=redis_prefix))
    assert [t.number for t in again.trials] == list(range(6)) and n_records(redis_server_url, redis_prefix) == 1 + 6 * 3
