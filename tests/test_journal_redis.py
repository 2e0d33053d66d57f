"""The journal on a real Redis server, under Optuna's JournalRedisBackend keys."""

import pytest

import fasthpo
from fasthpo.samplers import RandomSampler
from fasthpo.storages import JournalRedisStorage, get_storage

from test_journal_format import rich_objective, summary

optuna = pytest.importorskip("optuna")
pytest.importorskip("redis")


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
    assert storage._backend.size() == 1 + 3 + 2


def test_redis_url_storage_and_a_server_that_is_down(redis_server_url, redis_prefix):
    assert isinstance(get_storage(redis_server_url), JournalRedisStorage)
    storage = JournalRedisStorage(redis_server_url, prefix=redis_prefix)
    fasthpo.create_study(study_name="s", storage=storage).optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    size = storage._backend.size()
    with pytest.raises(KeyError, match=f"No study named 'nope' in '{redis_server_url}'"):
        fasthpo.load_study(study_name="nope", storage=storage)
    with pytest.raises(KeyError, match="No study named 'nope'"):
        fasthpo.delete_study(study_name="nope", storage=storage)
    assert JournalRedisStorage(redis_server_url, prefix=redis_prefix)._backend.size() == size
    with pytest.raises(ConnectionError, match="Cannot reach the Redis server at 'redis://127.0.0.1:1/0'"):
        JournalRedisStorage("redis://127.0.0.1:1/0")
    with pytest.raises(ValueError, match="Bad Redis URL 'http://x'"):
        JournalRedisStorage("http://x")
    with pytest.raises(TypeError, match="url"):
        JournalRedisStorage(None)
