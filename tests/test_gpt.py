"""GPT: whole-model gradients, causality, bad input, windows, resumable training, generation."""
import numpy as np
import pytest

from ch09_transformer.gpt import GPT
from ch09_transformer.gpt_gen import GPTGen
from common.evaluation import eval_perplexity_windows
from common.functions import softmax
from common.gradient_check import check_gradients
from common.optimizer import AdamW
from common.trainer import WindowTrainer

V = 11


def tiny_gpt(seed=0, dtype=np.float64, dropout=0.0, context=5, heads=2, cls=GPT):
    return cls(V, context, 8, heads, 2, 12, dropout, rng=seed, dtype=dtype)


def test_gpt_gradient_float64():
    model = tiny_gpt()
    rng = np.random.default_rng(1)
    for p in model.params:  # gains 1 and biases 0 would hide mistakes
        p[...] = rng.standard_normal(p.shape) * 0.7
    xs, ts = rng.integers(0, V, (2, 5)), rng.integers(0, V, (2, 5))
    ts[0, 1] = -1  # ignored position
    model.forward(xs, ts)
    model.backward()
    grads = [g.copy() for g in model.grads]
    assert len(model.params) == 2 + 2 * 16 + 2 + 1  # E, P, blocks, final norm, output bias
    assert check_gradients(lambda: model.forward(xs, ts), model.params, grads, zero_atol=1e-8) < 1e-6


def test_gpt_is_causal_and_float32():
    model = tiny_gpt(dtype=np.float32, context=6)
    rng = np.random.default_rng(2)
    xs = rng.integers(0, V, (3, 6))
    before = model.predict(xs)
    assert before.dtype == np.float32 and before.shape == (3, 6, V)
    for t in range(6):
        changed = xs.copy()
        changed[:, t] = (changed[:, t] + 1) % V
        after = model.predict(changed)
        np.testing.assert_array_equal(after[:, :t], before[:, :t])
        assert not np.allclose(after[:, t], before[:, t])


def test_gpt_bad_input_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match='divisible by num_heads = 3'):
        GPT(V, 5, 8, 3, 1, 12)
    model = tiny_gpt()
    with pytest.raises(ValueError, match='context_size = 5'):
        model.predict(np.zeros((1, 6), dtype=np.int64))
    with pytest.raises(ValueError, match=r'word id 11 is out of range.*\[0, 11\)'):
        model.predict(np.array([[1, 11]]))
    with pytest.raises(ValueError, match='negative word id'):
        model.predict(np.array([[-1, 2]]))
    path = str(tmp_path / 'gpt.npz')
    model.save_params(path)
    with pytest.raises(ValueError, match="num_heads: saved 2, this model 4"):
        tiny_gpt(heads=4).load_params(path)  # the same shapes: only the saved config tells
    with pytest.raises(ValueError, match=r"'01.PositionEmbedding.W' has shape \(5, 8\), the model expects \(7, 8\)"):
        tiny_gpt(context=7).load_params(path)
    restored = GPT.from_checkpoint(path, dtype=np.float64)
    for a, b in zip(model.params, restored.params):
        np.testing.assert_array_equal(a, b)


def test_window_trainer_sees_every_token_once_per_epoch_from_a_new_offset():
    class Recorder(GPT):
        def forward(self, xs, ts, train_flg=True):
            seen.append(xs.copy())
            np.testing.assert_array_equal(ts, xs + 1000)
            return 1.0

        def backward(self, dout=1):
            pass

    seen = []
    corpus = np.arange(103)
    model = Recorder(V, 5, 8, 2, 1, 12, rng=0)
    trainer = WindowTrainer(model, AdamW(), rng=0, verbose=False)
    assert WindowTrainer.steps_per_epoch(103, 4, 5) == 4 == (103 - 4) // 5 // 4
    starts = []
    for _ in range(3):
        seen.clear()
        trainer.fit(corpus, corpus + 1000, max_epoch=1, batch_size=4, time_size=5)
        windows = np.concatenate(seen)
        assert windows.shape == (16, 5) and np.all(np.diff(windows, axis=1) == 1)
        assert len(set(windows[:, 0])) == 16  # no window twice
        starts.append(set(windows[:, 0] % 5))
        assert len(starts[-1]) == 1  # one offset per epoch
    assert len(set.union(*starts)) > 1


def test_window_evaluation_counts_every_target_once_with_half_a_window_of_context():
    class Recorder:
        def forward(self, xs, ts, train_flg=True):
            assert not train_flg
            for x, t in zip(xs, ts):
                for position in np.flatnonzero(t >= 0):
                    counted.append((t[position], position))
            return 0.5

    counted = []
    K = 103
    ppl = eval_perplexity_windows(Recorder(), np.arange(K), np.arange(K), context_size=16, batch_size=3)
    targets = sorted(t for t, _ in counted)
    assert targets == list(range(K))  # each once
    assert all(position >= 8 for t, position in counted if t >= 16)  # half a window of context
    assert ppl == pytest.approx(np.exp(0.5))


def test_window_evaluation_matches_one_long_forward():
    model = tiny_gpt(context=8)
    rng = np.random.default_rng(4)
    xs, ts = rng.integers(0, V, 8), rng.integers(0, V, 8)
    # the whole corpus fits one window: the windows' perplexity is the plain one
    expected = np.exp(model.forward(xs[None], ts[None], train_flg=False))
    assert eval_perplexity_windows(model, xs, ts, context_size=8) == pytest.approx(expected, rel=1e-12)


def test_generation_is_seeded_and_continues_a_prompt():
    model = tiny_gpt(cls=GPTGen, dtype=np.float32)
    texts = []
    for _ in range(2):
        model.reset_state()
        texts.append(model.generate([1, 2, 3], skip_ids=[0], sample_size=12, rng=7))
    assert texts[0] == texts[1] and texts[0][:3] == [1, 2, 3] and len(texts[0]) == 12
    assert 0 not in texts[0][3:]
    assert model.context.shape == (1, 5)  # at most context_size words are kept
    model.reset_state()
    assert model.generate([1, 2, 3], sample_size=12, rng=8) != texts[0]
    score = model.score([1, 2, 3, 4])
    assert score.log_prob < 0


def test_a_sentence_longer_than_the_context_is_scored_in_half_window_pieces():
    model = tiny_gpt(cls=GPTGen, context=8)
    ids = np.random.default_rng(5).integers(0, V, 21)  # w_0 and 20 words to predict: 5 pieces of 4
    log_p = np.log(softmax(model.predict(ids[None, :8])[0]))  # the first 8 words see only each other
    expected = sum(log_p[t, ids[t + 1]] for t in range(8))
    for end in (12, 16, 20):  # then 4 words at a time, each window the 8 words ending there
        window = ids[end - 8:end]
        log_p = np.log(softmax(model.predict(window[None])[0]))
        expected += sum(log_p[t, window_next] for t, window_next in zip(range(4, 8), ids[end - 3:end + 1]))
    assert model.score(ids).log_prob == pytest.approx(expected, rel=1e-6)
