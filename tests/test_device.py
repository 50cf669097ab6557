"""Every model, optimizer, trainer and decoder on a device: the strict CuPy stand-in
(tests/fake_cupy.py, fixture ``device``) plays the GPU, and each result must equal the host's.

The stand-in computes with NumPy inside, in the same order, so "the same numbers" is checked
exactly: any difference means the device path took another route.  Sizes are tiny.
"""
import numpy as np
import pytest

from ch01_nn.two_layer_net import TwoLayerNet
from ch03_word2vec.simple_cbow import SimpleCBOW
from ch04_fast_w2v.cbow import CBOW
from ch04_fast_w2v.fast.segment_cbow import SegmentCBOW
from ch04_fast_w2v.fast.segment_model import segment_windows
from ch04_fast_w2v.fast.segment_skip_gram import SegmentSkipGram
from ch04_fast_w2v.fast.sparse_optimizer import LazyAdam, RowSparseSGD, SparseGradAdam
from ch04_fast_w2v.skip_gram import SkipGram
from ch05_rnn.mlp_lm import MlpLm, ngram_contexts
from ch05_rnn.simple_rnnlm import SimpleRnnlm
from ch06_lstm.better_rnnlm import BetterRnnlm
from ch06_lstm.rnnlm import Rnnlm
from ch08_attention.attention_seq2seq import AttentionSeq2seq
from ch09_transformer.bert import BertEncoder, mask_tokens
from ch09_transformer.gpt import GPT
from ch09_transformer.gpt_gen import GPTGen
from ch09_transformer.transformer_seq2seq import TransformerSeq2seq
from ch10_transfer.bert_classifier import BertClassifier
from ch10_transfer.gpt_classifier import GptClassifier
from ch10_transfer.lstm_classifier import LstmClassifier
from ch10_transfer.mean_vector_classifier import MeanVectorClassifier
from ch07_seq2seq.peeky_seq2seq import PeekySeq2seq
from ch07_seq2seq.seq2seq import Seq2seq
from common.backend import as_model_device, is_device_array, to_cpu
from common.optimizer import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop
from common.trainer import RnnlmTrainer, Trainer, WindowTrainer
from common.util import convert_one_hot, create_contexts_target

V = 12  # vocabulary of the tiny corpora
CORPUS = (np.arange(150) * 5 + np.arange(150) // 7) % V  # a pattern the models learn fast


def assert_same(host, device_values):
    """Equal values, with every device result on the device (or a Python number)."""
    if isinstance(host, (list, tuple)):
        assert len(host) == len(device_values)
        for h, d in zip(host, device_values):
            assert_same(h, d)
    elif isinstance(host, np.ndarray):
        assert is_device_array(device_values), type(device_values)
        np.testing.assert_array_equal(to_cpu(device_values), host)
    else:
        assert host == device_values


def on_both(make_model, run, device):
    """run(model) on a host model and on the same model moved to the device -> both results."""
    host_model = make_model()
    device_model = make_model().to_gpu()
    assert all(is_device_array(p) for p in device_model.params + device_model.grads)
    host, on_device = run(host_model), run(device_model)
    assert_same(host_model.params, device_model.params)
    return host, on_device


# ---------------------------------------------------------------------------------------------
# The stand-in is strict where CuPy is
# ---------------------------------------------------------------------------------------------

def test_stand_in_refuses_what_cupy_refuses(device):
    a = device.arange(6.0).reshape(2, 3)
    with pytest.raises(TypeError, match='Implicit conversion'):
        np.asarray(a)
    with pytest.raises(TypeError, match='Unsupported type'):
        a + np.ones(3)
    with pytest.raises(TypeError, match='Unsupported type'):
        np.ones(3) * a
    with pytest.raises(TypeError, match='Only cupy arrays'):
        device.concatenate([np.ones(3), a[0]])
    with pytest.raises(TypeError):
        hash(a[0, 0])
    assert float(a.sum()) == 15.0 and int(a[1, 2]) == 5 and bool(a[0, 1])
    np.testing.assert_array_equal(a.get(), np.arange(6.0).reshape(2, 3))
    assert is_device_array(a.sum()) and is_device_array(device.asarray(np.ones(2)) * np.float32(2))


# ---------------------------------------------------------------------------------------------
# The book's four GPU bugs: each pattern fails on the stand-in, the library's way works
# ---------------------------------------------------------------------------------------------

def test_bug_embedding_with_host_ids(device):
    from common.layers import Embedding
    W = np.arange(20.0).reshape(5, 4)
    layer = Embedding(device.asarray(W))
    with pytest.raises((IndexError, TypeError), match='host|Unsupported type'):
        layer.forward(np.array([1, 3]))  # the book's W[idx] with the ids left on the host
    assert_same(W[[1, 3]], layer.forward(device.asarray([1, 3])))


def test_bug_host_mask_times_device_loss(device):
    from common.time_layers import TimeSoftmaxWithLoss
    rng = np.random.default_rng(0)
    xs, ts = rng.standard_normal((2, 3, 4)), rng.integers(0, 4, (2, 3))
    ts[0, 0] = -1
    with pytest.raises(TypeError, match='Unsupported type'):
        device.asarray(xs).sum(axis=2) * (ts != -1)  # the book's `ls *= mask`
    with pytest.raises(TypeError, match='Unsupported type'):
        TimeSoftmaxWithLoss().forward(device.asarray(xs), ts)
    host, on_device = TimeSoftmaxWithLoss(), TimeSoftmaxWithLoss()
    assert host.forward(xs, ts) == on_device.forward(device.asarray(xs), device.asarray(ts))
    assert_same(host.backward(), on_device.backward())


def test_bug_argsort_results_as_python_ints(device, capsys):
    from common.util import most_similar
    words = {i: w for i, w in enumerate('you say goodbye and i hello .'.split())}
    word_to_id = {w: i for i, w in words.items()}
    vectors = np.random.default_rng(1).standard_normal((len(words), 3))
    with pytest.raises(TypeError):
        [words[i] for i in device.asarray(vectors[:, 0]).argsort()]  # the book's most_similar loop
    host = most_similar('you', word_to_id, words, vectors, top=3)
    assert most_similar('you', word_to_id, words, device.asarray(vectors), top=3) == host


@pytest.mark.parametrize('embedding', ['Embedding', 'RowSparseEmbedding'])
def test_bug_scatter_add(device, embedding):
    from ch04_fast_w2v.fast.row_sparse_embedding import RowSparseEmbedding, sum_rows_by_id
    from common.layers import Embedding
    assert not hasattr(device, 'scatter_add')  # np.scatter_add / cupy.scatter_add: gone in CuPy 8
    grad = device.zeros((5, 2))
    with pytest.raises(TypeError):  # the book's np.add.at on a device array
        np.add.at(grad, device.asarray([0, 0]), device.ones((2, 2)))
    ids = np.array([[3, 1, 3], [0, 3, 1]])
    rows = np.random.default_rng(2).standard_normal((2, 3, 2))
    assert_same(sum_rows_by_id(ids, rows), sum_rows_by_id(device.asarray(ids), device.asarray(rows)))
    layer = {'Embedding': Embedding, 'RowSparseEmbedding': RowSparseEmbedding}[embedding]
    host, on_device = layer(np.zeros((5, 2))), layer(device.zeros((5, 2)))
    host.forward(ids), on_device.forward(device.asarray(ids))
    host.backward(rows), on_device.backward(device.asarray(rows))
    assert_same(host.grads, on_device.grads)
    assert host.grads[0][3].any()


# ---------------------------------------------------------------------------------------------
# A training step of every model (with the trainers, clipping and each optimizer)
# ---------------------------------------------------------------------------------------------

def fit_trainer(optimizer, x, t, **fit_options):
    def run(model):
        trainer = Trainer(model, optimizer(), rng=3, verbose=False)
        trainer.fit(x, t, max_epoch=1, batch_size=8, max_grad=0.5, eval_interval=2, **fit_options)
        return trainer.history
    return run


def fit_windows(model):
    from common.optimizer import AdamW
    trainer = WindowTrainer(model, AdamW(0.02), rng=4, verbose=False)
    trainer.fit(CORPUS[:-1], CORPUS[1:], max_epoch=1, batch_size=4, time_size=6, max_grad=1.0,
                eval_interval=2)
    return trainer.history


def fast_adam():
    return Adam(lr=0.02)


def fit_rnnlm(model, trainer=None, observers=()):
    trainer = trainer or RnnlmTrainer(model, SGD(lr=1.0), verbose=False)
    trainer.fit(CORPUS[:-1], CORPUS[1:], max_epoch=1, batch_size=3, time_size=5, max_grad=0.25,
                eval_interval=3, observers=observers)
    return trainer.history


CONTEXTS, TARGET = create_contexts_target(CORPUS, window_size=2)
SEQ_X = np.random.default_rng(4).integers(0, V, (24, 5))
SEQ_T = np.concatenate([np.full((24, 1), 0), np.random.default_rng(5).integers(1, V, (24, 3))], axis=1)
SPIRAL_X = np.random.default_rng(6).standard_normal((32, 2)).astype(np.float32)
SPIRAL_T = np.random.default_rng(6).integers(0, 3, 32)

def fit_bert(model):
    """Masked-LM steps on padded sentences, the same masks every step (drawn on the host, moved once)."""
    ids = np.full((6, 7), model.pad_id)
    for n in range(6):
        ids[n, :3 + n % 4] = CORPUS[5 * n:5 * n + 3 + n % 4]
    inputs, targets = mask_tokens(ids, ids != model.pad_id, V, np.random.default_rng(7), mask_prob=0.4)
    inputs, targets = as_model_device(model, inputs), as_model_device(model, targets)
    optimizer, losses = Adam(lr=0.02), []
    for _ in range(3):
        losses.append(model.forward(inputs, targets))
        model.backward()
        optimizer.update(model.params, model.grads)
    return losses


SENTENCES = [CORPUS[3 * k:3 * k + 2 + k % 4] for k in range(24)]
LABELS = [int(s[-1]) % 2 for s in SENTENCES]  # the last word's parity: learnable from a mean or a state


def fit_sentences(model):
    from ch10_transfer.sentence_classifier import fit_classifier
    history = fit_classifier(model, Adam(lr=0.02), (SENTENCES[:16], LABELS[:16]),
                             (SENTENCES[16:], LABELS[16:]), max_epoch=3, batch_size=6, rng=8, verbose=False)
    return history['loss']


MODELS = {
    'two-layer net': (lambda: TwoLayerNet(2, 6, 3, rng=0), fit_trainer(lambda: SGD(lr=1.0), SPIRAL_X, SPIRAL_T)),
    'SimpleCBOW': (lambda: SimpleCBOW(V, 4, rng=0),
                   fit_trainer(fast_adam, convert_one_hot(CONTEXTS[:40, 1:3], V), convert_one_hot(TARGET[:40], V))),
    'CBOW book mode': (lambda: CBOW(V, 4, 2, CORPUS, rng=0), fit_trainer(fast_adam, CONTEXTS, TARGET)),
    'SkipGram': (lambda: SkipGram(V, 4, 2, CORPUS, rng=0), fit_trainer(fast_adam, CONTEXTS, TARGET)),
    'CBOW fast mode': (lambda: SegmentCBOW(V, 4, 2, CORPUS, rng=0, shared_negatives=6),
                       lambda m: fit_trainer(lambda: SparseGradAdam(m.embeddings, lr=0.05),
                                             *segment_windows(CORPUS, 2, 4))(m)),
    'SkipGram fast mode': (lambda: SegmentSkipGram(V, 4, 2, CORPUS, rng=0, shared_negatives=6),
                           lambda m: fit_trainer(lambda: LazyAdam(m.embeddings, lr=0.05, decay_steps=9),
                                                 *segment_windows(CORPUS, 2, 4))(m)),
    'SimpleRnnlm': (lambda: SimpleRnnlm(V, 5, 6, rng=0), fit_rnnlm),
    'Rnnlm': (lambda: Rnnlm(V, 5, 6, rng=0), fit_rnnlm),
    'Rnnlm GRU': (lambda: Rnnlm(V, 5, 6, cell='gru', rng=0), fit_rnnlm),
    'BetterRnnlm': (lambda: BetterRnnlm(V, 6, 6, rng=0), fit_rnnlm),
    'BetterRnnlm variational': (lambda: BetterRnnlm(V, 6, 6, variational=True, rng=0), fit_rnnlm),
    'BetterRnnlm recurrent and embedding dropout': (
        lambda: BetterRnnlm(V, 6, 6, variational=True, recurrent_dropout=0.3, embedding_dropout=0.1, rng=0),
        fit_rnnlm),
    'MlpLm': (lambda: MlpLm(V, 3, 4, 8, dropout_ratio=0.2, direct=True, rng=0),
              fit_trainer(fast_adam, ngram_contexts(CORPUS, 3, 0), CORPUS)),
    'Seq2seq': (lambda: Seq2seq(V, 4, 6, rng=0), fit_trainer(fast_adam, SEQ_X, SEQ_T)),
    'PeekySeq2seq': (lambda: PeekySeq2seq(V, 4, 6, rng=0), fit_trainer(fast_adam, SEQ_X, SEQ_T)),
    'AttentionSeq2seq': (lambda: AttentionSeq2seq(V, 4, 6, rng=0), fit_trainer(fast_adam, SEQ_X, SEQ_T)),
    'GPT': (lambda: GPT(V, 6, 8, 2, 1, 16, dropout_ratio=0.1, rng=0), fit_windows),
    'TransformerSeq2seq': (lambda: TransformerSeq2seq(V, 8, 2, 1, 16, dropout_ratio=0.1, max_len=8, rng=0),
                           fit_trainer(fast_adam, SEQ_X, SEQ_T)),
    'BertEncoder masked LM': (lambda: BertEncoder(V, 8, 8, 2, 1, 16, dropout_ratio=0.1, rng=0), fit_bert),
    'LstmClassifier': (lambda: LstmClassifier(V, 5, 6, num_layers=2, dropout_ratio=0.2, rng=0), fit_sentences),
    'MeanVectorClassifier': (lambda: MeanVectorClassifier(np.random.default_rng(0).standard_normal((V, 4)).astype(np.float32),
                                                          train_vectors=True, rng=0), fit_sentences),
    'GptClassifier': (lambda: GptClassifier(V, 8, 8, 2, 1, 16, dropout_ratio=0.1, rng=0), fit_sentences),
    'BertClassifier': (lambda: BertClassifier(V, 8, 8, 2, 1, 16, dropout_ratio=0.1, rng=0), fit_sentences),
}


@pytest.mark.parametrize('name', MODELS)
def test_training_gives_the_host_numbers(device, name):
    make_model, run = MODELS[name]
    host, on_device = on_both(make_model, run, device)
    assert host == on_device and len(host) >= 2
    assert host[-1] < host[0] or name == 'two-layer net'  # it learns (the net needs more steps)


@pytest.mark.parametrize('optimizer', [SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam])
def test_every_dense_optimizer(device, optimizer):
    on_both(lambda: TwoLayerNet(2, 6, 3, rng=1),
            fit_trainer(lambda: optimizer(lr=0.1), SPIRAL_X, SPIRAL_T), device)


@pytest.mark.parametrize('optimizer', [RowSparseSGD, LazyAdam, SparseGradAdam])
def test_every_row_sparse_optimizer(device, optimizer):
    def run(model):
        return fit_trainer(lambda: optimizer(model.embeddings, lr=0.05, decay_steps=40),
                           *segment_windows(CORPUS, 2, 2))(model)
    on_both(lambda: SegmentCBOW(V, 4, 2, CORPUS, rng=2, shared_negatives=6), run, device)


def test_sparse_grad_adam_refolds_its_scales_on_the_device(device):
    def run(model):
        optimizer = SparseGradAdam(model.embeddings, lr=0.05)
        optimizer.refold_below = 0.5  # fold a and b back into the tables within a few steps
        return fit_trainer(lambda: optimizer, *segment_windows(CORPUS, 2, 2))(model)
    on_both(lambda: SegmentCBOW(V, 4, 2, CORPUS, rng=2, shared_negatives=6), run, device)


# ---------------------------------------------------------------------------------------------
# Moving models, checkpoints across devices, evaluation and decoding
# ---------------------------------------------------------------------------------------------

def test_to_gpu_keeps_tied_and_shared_weights(device):
    model = BetterRnnlm(V, 6, 6, rng=0).to_gpu()
    embed_W, affine_W = model.layers[0].params[0], model.layers[-1].params[0]
    assert is_device_array(embed_W) and affine_W.base is embed_W and affine_W.shape == (6, V)
    assert model.params[0] is embed_W and len(model.params) == len(model.grads)
    seq2seq = Seq2seq(V, 4, 6, rng=0).to_gpu()
    assert seq2seq.decoder.embed_step.params[0] is seq2seq.decoder.embed.params[0]
    cbow = CBOW(V, 4, 2, CORPUS, rng=0).to_gpu()
    assert cbow.word_vecs is cbow.params[0]
    assert isinstance(cbow.ns_loss.sampler.cumulative_p, np.ndarray)  # samplers draw on the host
    back = model.to_cpu()
    assert isinstance(back.params[0], np.ndarray) and back.layers[-1].params[0].base is back.params[0]


def test_checkpoints_cross_devices(device, tmp_path):
    from harness.checkpoint import Checkpoint
    trained = Rnnlm(V, 5, 6, rng=0).to_gpu()
    fit_rnnlm(trained)
    trained.save_params(tmp_path / 'gpu.npz')
    on_host = Rnnlm(V, 5, 6, rng=9)
    on_host.load_params(tmp_path / 'gpu.npz')
    assert_same([to_cpu(p) for p in on_host.params], trained.params)
    on_host.save_params(tmp_path / 'cpu.npz')
    back = Rnnlm(V, 5, 6, rng=9).to_gpu()
    back.load_params(tmp_path / 'cpu.npz')
    assert_same(on_host.params, back.params)
    with pytest.raises(ValueError, match='shape'):
        Rnnlm(V, 5, 7, rng=0).to_gpu().load_params(tmp_path / 'cpu.npz')

    def resumed(model):  # a whole run state (carried LSTM state included) saved on one device
        trainer = RnnlmTrainer(model, SGD(lr=1.0), verbose=False)
        checkpoint = Checkpoint(str(tmp_path / 'run.npz'), trainer, {'n': 1})
        with checkpoint:
            fit_rnnlm(model, trainer, observers=[checkpoint])
        fresh = Rnnlm(V, 5, 6, rng=3)
        Checkpoint(None, RnnlmTrainer(fresh, SGD(lr=1.0), verbose=False), {'n': 1}).resume(
            str(tmp_path / 'run.npz'))
        return [to_cpu(p) for p in fresh.params]
    host, on_device = on_both(lambda: Rnnlm(V, 5, 6, rng=0), resumed, device)
    for h, d in zip(host, on_device):
        np.testing.assert_array_equal(h, d)


def test_eval_perplexity_and_seq2seq_accuracy(device):
    from common.evaluation import eval_perplexity, eval_seq2seq, seq2seq_accuracy

    def evaluate(model):
        fit_trainer(fast_adam, SEQ_X, SEQ_T)(model)
        return (seq2seq_accuracy(model, SEQ_X, SEQ_T, batch_size=7),
                eval_seq2seq(model, SEQ_X[[0]], SEQ_T[[0]], {i: str(i) for i in range(V)}))
    on_both(lambda: AttentionSeq2seq(V, 4, 6, rng=0), evaluate, device)
    host, on_device = on_both(lambda: BetterRnnlm(V, 6, 6, rng=0),
                              lambda m: eval_perplexity(m, CORPUS, batch_size=4, time_size=6), device)
    assert host == on_device and np.isfinite(host)
    from common.evaluation import eval_perplexity_windows
    host, on_device = on_both(lambda: GPT(V, 6, 8, 2, 1, 16, rng=0),
                              lambda m: eval_perplexity_windows(m, CORPUS[:-1], CORPUS[1:], 6, batch_size=5),
                              device)
    assert host == on_device and np.isfinite(host)


@pytest.mark.parametrize('model_class', [Seq2seq, PeekySeq2seq, AttentionSeq2seq, TransformerSeq2seq])
def test_greedy_and_beam_search(device, model_class):
    def decode(model):
        fit_trainer(fast_adam, SEQ_X, SEQ_T)(model)
        results = [model.generate(SEQ_X[:5], 0, 3), model.generate(SEQ_X[:5], SEQ_T[:5, 0], 3, beam_width=3)]
        if model_class is AttentionSeq2seq:
            results += model.generate_with_attention(SEQ_X[:2], 0, 3)
        return [to_cpu(r) for r in results]
    sizes = (V, 8, 2, 1, 16) if model_class is TransformerSeq2seq else (V, 4, 6)
    host, on_device = on_both(lambda: model_class(*sizes, rng=0), decode, device)
    for h, d in zip(host, on_device):
        np.testing.assert_array_equal(h, d)


@pytest.mark.parametrize('options', [
    {}, {'temperature': 0.5}, {'top_k': 3}, {'greedy': True}, {'skip_ids': [0, 1]},
], ids=['sample', 'temperature', 'top-k', 'greedy', 'skip'])
def test_generation_with_every_option(device, options):
    from ch07_seq2seq.better_rnnlm_gen import BetterRnnlmGen
    from ch07_seq2seq.rnnlm_gen import RnnlmGen
    for make in (lambda: RnnlmGen(V, 5, 6, rng=0), lambda: BetterRnnlmGen(V, 6, 6, rng=0),
                 lambda: GPTGen(V, 4, 8, 2, 1, 16, rng=0)):
        def generate(model):
            return (model.generate([2, 3], sample_size=8, rng=5, **options),
                    model.score([2, 3, 4, 5]))
        host, on_device = on_both(make, generate, device)
        assert host == on_device and len(host[0]) == 8


# ---------------------------------------------------------------------------------------------
# Transformer layers (chapter 9) and AdamW with its schedule
# ---------------------------------------------------------------------------------------------

def test_transformer_blocks_and_adamw(device):
    from common.backend import to_gpu
    from common.optimizer import AdamW, WarmupCosineSchedule
    from common.placement import move_arrays
    from common.transformer_layers import PositionalEncoding, TransformerBlock
    rng = np.random.default_rng(8)
    xs, memory = rng.standard_normal((2, 5, 8)).astype(np.float32), rng.standard_normal((2, 3, 8)).astype(np.float32)
    key_mask = np.array([[True] * 5, [True] * 3 + [False] * 2])
    memory_mask = np.array([[True] * 3, [True, True, False]])

    def run(blocks, to):
        decoder, encoder, position = blocks
        optimizer, schedule = AdamW(lr=0.01), WarmupCosineSchedule(0.01, 1, 3)
        outputs = []
        for _ in range(2):
            hidden = encoder.forward(position.forward(to(memory)), key_mask=to(memory_mask))
            ys = decoder.forward(to(xs), hidden, key_mask=to(key_mask), memory_mask=to(memory_mask))
            dxs, dmemory = decoder.backward(ys)
            encoder.backward(dmemory)
            params, grads = decoder.params + encoder.params, decoder.grads + encoder.grads
            schedule.step(optimizer)
            optimizer.update(params, grads)
            outputs += [to_cpu(ys), to_cpu(dxs), to_cpu(decoder.self_attention.attention_weights)]
        return outputs + [to_cpu(p) for p in params]

    def make():
        block_rng = np.random.default_rng(9)
        return (TransformerBlock(8, 2, 16, causal=True, cross_attention=True, dropout_ratio=0.2, rng=block_rng),
                TransformerBlock(8, 2, 16, dropout_ratio=0.2, rng=block_rng), PositionalEncoding(10, 8))
    host = run(make(), lambda a: a)
    on_device = run([move_arrays(block, to_gpu) for block in make()], device.asarray)
    for h, d in zip(host, on_device):
        np.testing.assert_array_equal(h, d)
