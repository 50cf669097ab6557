"""Seq2seq, PeekySeq2seq, AttentionSeq2seq: gradients, bad input, training.

Decoder steps, greedy and beam decoding of these models: tests/test_decoding.py."""
import numpy as np
import pytest

from ch07_seq2seq.peeky_seq2seq import PeekyDecoder, PeekySeq2seq
from ch07_seq2seq.seq2seq import Decoder, Encoder, Seq2seq
from ch08_attention.attention_seq2seq import AttentionDecoder, AttentionEncoder, AttentionSeq2seq
from common.evaluation import eval_seq2seq, seq2seq_accuracy
from common.gradient_check import check_gradients
from common.optimizer import Adam
from common.trainer import Trainer
from dataset import sequence

V, D, H, N, T_IN, T_OUT = 6, 3, 4, 2, 4, 3
MODELS = [Seq2seq, PeekySeq2seq, AttentionSeq2seq]


def tiny_ids(rng, T):
    return rng.integers(0, V, size=(N, T))


def scrambled(stack, rng):
    """``stack`` with all weights redrawn from N(0, 0.5^2), so no gradient is too small to check.

    (With the book's initial embeddings of scale 0.01 some gradients are ~1e-5, where the
    central difference's rounding noise alone is a 1e-6 relative error.)
    """
    for param in stack.params:
        param[...] = rng.standard_normal(param.shape) * 0.5
    return stack


def check_layer_stack(stack, forward, inputs, rng):
    """Relative error of ``stack.backward`` for the loss sum(forward(*inputs) * R), R random."""
    out = forward(*inputs)
    R = rng.standard_normal(out.shape)
    dinput = stack.backward(R)
    float_inputs = [x for x in inputs if x.dtype == np.float64]
    analytic = ([dinput] if float_inputs else []) + [g.copy() for g in stack.grads]
    loss = lambda: float((forward(*inputs) * R).sum())  # noqa: E731
    return check_gradients(loss, float_inputs + stack.params, analytic)


def test_encoder_gradients():
    rng = np.random.default_rng(0)
    encoder = scrambled(Encoder(V, D, H, rng=rng, dtype=np.float64), rng)
    assert check_layer_stack(encoder, encoder.forward, [tiny_ids(rng, T_IN)], rng) < 1e-6


def test_attention_encoder_gradients():
    rng = np.random.default_rng(1)
    encoder = scrambled(AttentionEncoder(V, D, H, rng=rng, dtype=np.float64), rng)
    assert check_layer_stack(encoder, encoder.forward, [tiny_ids(rng, T_IN)], rng) < 1e-6


@pytest.mark.parametrize('decoder_class', [Decoder, PeekyDecoder])
def test_decoder_gradients_including_the_encoder_state(decoder_class):
    rng = np.random.default_rng(2)
    decoder = scrambled(decoder_class(V, D, H, rng=rng, dtype=np.float64), rng)
    inputs = [tiny_ids(rng, T_OUT), rng.standard_normal((N, H))]
    assert check_layer_stack(decoder, decoder.forward, inputs, rng) < 1e-6


def test_attention_decoder_gradients_including_the_encoder_states():
    rng = np.random.default_rng(3)
    decoder = scrambled(AttentionDecoder(V, D, H, rng=rng, dtype=np.float64), rng)
    inputs = [tiny_ids(rng, T_OUT), rng.standard_normal((N, T_IN, H))]
    assert check_layer_stack(decoder, decoder.forward, inputs, rng) < 1e-6


@pytest.mark.parametrize('model_class', MODELS)
def test_whole_model_gradients(model_class):
    rng = np.random.default_rng(4)
    model = scrambled(model_class(V, D, H, rng=rng, dtype=np.float64), rng)
    xs, ts = tiny_ids(rng, T_IN), tiny_ids(rng, T_OUT + 1)
    model.forward(xs, ts)
    model.backward()
    grads = [g.copy() for g in model.grads]
    assert check_gradients(lambda: model.forward(xs, ts), model.params, grads) < 1e-6


def test_bad_input_gives_clear_errors():
    model = Seq2seq(V, D, H, rng=0)
    with pytest.raises(ValueError, match='out of range'):
        model.generate(np.full((1, T_IN), V), 0, 3)
    with pytest.raises(ValueError, match=r'\(N, T_in\)'):
        model.forward(np.zeros(T_IN, int), np.zeros((1, T_OUT), int))
    char_to_id, _ = sequence.get_vocab('addition.txt')
    with pytest.raises(ValueError, match="'x'"):
        sequence.encode(['1x+2'], char_to_id, 7)
    with pytest.raises(ValueError, match='maximum length is 7'):
        sequence.encode(['1234+567'], char_to_id, 7)


def test_short_peeky_run_on_reversed_addition_learns(capsys):
    """500 steps on 12,800 reversed questions (lr 0.01): 17.4% right (loss 2.13 -> 0.66), far above
    the ~0.5% of a constant answer. (The book's mix, 58% three-digit operands, is harder than the
    earlier data, on which the same run reached over 25%.)"""
    (x_train, t_train), (x_test, t_test) = sequence.load_data('addition.txt')
    x_train, t_train = x_train[:12800, ::-1], t_train[:12800]
    x_test, t_test = x_test[:1000, ::-1], t_test[:1000]
    char_to_id, id_to_char = sequence.get_vocab('addition.txt')
    model = PeekySeq2seq(len(char_to_id), 16, 128, rng=0)
    trainer = Trainer(model, Adam(lr=0.01), rng=0, verbose=False)
    trainer.fit(x_train, t_train, max_epoch=5, batch_size=128, max_grad=5.0)
    assert trainer.loss_list[-1] < 0.35 * trainer.loss_list[0]
    accuracy = seq2seq_accuracy(model, x_test, t_test, batch_size=300)
    assert accuracy > 0.12
    # The book's per-question check agrees with the batched accuracy on the same items.
    per_item = [eval_seq2seq(model, x_test[[i]], t_test[[i]], id_to_char) for i in range(100)]
    assert np.mean(per_item) == seq2seq_accuracy(model, x_test[:100], t_test[:100])
    eval_seq2seq(model, x_test[[0]], t_test[[0]], id_to_char, verbos=True, is_reverse=True)
    question = sequence.decode(x_test[0, ::-1], id_to_char)
    assert capsys.readouterr().out.startswith(f'Q {question}\nT ')
