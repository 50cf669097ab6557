"""Library functions and layers refuse what they would silently misread, with a message.

Negative or out-of-range ids (NumPy wraps a negative index to the end of the table), soft targets
in the softmax losses (read as their argmax), empty batches (a NaN mean or a reshape error deep
inside) and a backward before its forward (an AttributeError on None).
"""
import importlib
import inspect
import os
import pkgutil
import re
import subprocess
import sys

import numpy as np
import pytest

from ch06_lstm.rnnlm import Rnnlm
from ch07_seq2seq.rnnlm_gen import RnnlmGen
import common
from common import attention_layers, layers, sequence_pooling, time_layers, transformer_layers
from common.base_model import BaseModel
from common.functions import cross_entropy_error
from common.util import convert_one_hot, create_co_matrix

RNG = np.random.default_rng(0)


def W(*shape):
    return RNG.standard_normal(shape)


UNIFORM = np.full((2, 3), 1 / 3)


@pytest.mark.parametrize('call, message', [
    (lambda: cross_entropy_error(UNIFORM, np.array([0, -1])), 'negative label -1'),
    (lambda: cross_entropy_error(UNIFORM, np.array([0, 3])), 'label 3 is out of range'),
    (lambda: cross_entropy_error(UNIFORM, np.array([[0.5, 0.5, 0], [1, 0, 0]])), 'not one-hot'),
    (lambda: cross_entropy_error(UNIFORM, np.array([0])), 'one label per row'),
    (lambda: cross_entropy_error(np.zeros((0, 3)), np.zeros(0, int)), 'empty'),
    (lambda: create_co_matrix([0, 1, -1], 3), 'negative word id -1'),
    (lambda: create_co_matrix([0, 1, 3], 3), 'word id 3 is out of range'),
    (lambda: convert_one_hot([0, 5], 3), 'word id 5 is out of range'),
    (lambda: convert_one_hot([-2, 1], 3), 'negative word id -2'),
    (lambda: layers.SoftmaxWithLoss().forward(np.zeros((2, 3)), UNIFORM), 'soft targets'),
    (lambda: layers.SoftmaxWithLoss().forward(np.zeros((2, 3)), np.array([1, -1])), 'negative label'),
    (lambda: layers.SoftmaxWithLoss().forward(np.zeros((0, 3)), np.zeros(0, int)), 'empty'),
    (lambda: time_layers.TimeSoftmaxWithLoss().forward(np.zeros((1, 2, 3)), UNIFORM[None]),
     'soft targets'),
    (lambda: time_layers.TimeSoftmaxWithLoss().forward(np.zeros((2, 0, 3)), np.zeros((2, 0), int)),
     'empty'),
    (lambda: Rnnlm(10, 4, 4, rng=RNG).forward(np.zeros((0, 5), int), np.zeros((0, 5), int)),
     r'shape \(0, 5\)'),
    (lambda: Rnnlm(10, 4, 4, rng=RNG).forward(np.zeros((2, 0), int), np.zeros((2, 0), int)),
     r'shape \(2, 0\)'),
    (lambda: time_layers.TimeLSTM(W(3, 8), W(2, 8), W(8)).forward(np.zeros((0, 4, 3))), 'empty'),
    (lambda: RnnlmGen(10, 4, 4, rng=RNG).score([0, 1, -2]), 'negative word id -2'),
    (lambda: RnnlmGen(10, 4, 4, rng=RNG).score([0, 10, 1]), 'word id 10 is out of range'),
])
def test_library_functions_refuse_what_they_would_misread(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_one_hot_and_id_labels_still_give_the_same_loss():
    x = RNG.standard_normal((4, 3))
    ids = np.array([0, 2, 1, 2])
    one_hot = np.eye(3)[ids]
    assert layers.SoftmaxWithLoss().forward(x, one_hot) == layers.SoftmaxWithLoss().forward(x, ids)
    y = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    assert cross_entropy_error(y, one_hot) == pytest.approx(cross_entropy_error(y, ids))


# One small instance of every layer with a backward in ``common`` (models excepted).  A new layer
# class must be added here (test_every_layer_class_is_listed), so it is held to the same rule.
LAYERS = {
    'MatMul': lambda: layers.MatMul(W(3, 4)),
    'Affine': lambda: layers.Affine(W(3, 4), W(4)),
    'Softmax': layers.Softmax,
    'SoftmaxWithLoss': layers.SoftmaxWithLoss,
    'Sigmoid': layers.Sigmoid,
    'Tanh': layers.Tanh,
    'SigmoidWithLoss': layers.SigmoidWithLoss,
    'Dropout': layers.Dropout,
    'Embedding': lambda: layers.Embedding(W(5, 3)),
    'EmbeddingDot': lambda: layers.EmbeddingDot(W(5, 3)),
    'NegativeSamplingLoss': lambda: layers.NegativeSamplingLoss(W(5, 3), np.arange(5), sample_size=2),
    'RNN': lambda: time_layers.RNN(W(3, 4), W(4, 4), W(4)),
    'TimeRNN': lambda: time_layers.TimeRNN(W(3, 4), W(4, 4), W(4)),
    'LSTM': lambda: time_layers.LSTM(W(3, 16), W(4, 16), W(16)),
    'TimeLSTM': lambda: time_layers.TimeLSTM(W(3, 16), W(4, 16), W(16)),
    'GRU': lambda: time_layers.GRU(W(3, 12), W(4, 12), W(12)),
    'TimeGRU': lambda: time_layers.TimeGRU(W(3, 12), W(4, 12), W(12)),
    'TimeEmbedding': lambda: time_layers.TimeEmbedding(W(5, 3)),
    'TimeAffine': lambda: time_layers.TimeAffine(W(3, 4), W(4)),
    'TimeSoftmaxWithLoss': time_layers.TimeSoftmaxWithLoss,
    'TimeDropout': time_layers.TimeDropout,
    'TimeBiLSTM': lambda: time_layers.TimeBiLSTM(W(3, 16), W(4, 16), W(16), W(3, 16), W(4, 16), W(16)),
    'WeightSum': attention_layers.WeightSum,
    'AttentionWeight': attention_layers.AttentionWeight,
    'Attention': attention_layers.Attention,
    'TimeAttention': attention_layers.TimeAttention,
    'LayerNorm': lambda: transformer_layers.LayerNorm(np.ones(4), np.zeros(4)),
    'GELU': transformer_layers.GELU,
    'MultiHeadAttention': lambda: transformer_layers.MultiHeadAttention(
        *[W(4, 4), W(4)] * 4, num_heads=2),
    'PositionalEncoding': lambda: transformer_layers.PositionalEncoding(6, 4),
    'PositionEmbedding': lambda: transformer_layers.PositionEmbedding(W(6, 4)),
    'FeedForward': lambda: transformer_layers.FeedForward(W(4, 8), W(8), W(8, 4), W(4)),
    'TransformerBlock': lambda: transformer_layers.TransformerBlock(4, 2, 8, rng=RNG),
    'TransformerBody': lambda: transformer_layers.TransformerBody(10, 6, 4, 2, 1, 8, rng=RNG),
    'SelectTime': sequence_pooling.SelectTime,
    'MaskedMean': sequence_pooling.MaskedMean,
    'SmallestK': lambda: sequence_pooling.SmallestK(2),
    'MaskedMax': sequence_pooling.MaskedMax,
    'ConcatPooling': sequence_pooling.ConcatPooling,
}


BOOK_ONLY_NAMES = {'config', 'np'}  # the book's GPU switch: modules that only say where it went


@pytest.mark.parametrize('name', sorted(BOOK_ONLY_NAMES))
def test_the_books_gpu_modules_say_where_the_switch_went(name):
    with pytest.raises(ImportError, match=r'model.to_gpu\(\).*docs/from_the_book.md'):
        importlib.import_module(f'common.{name}')


def test_every_layer_class_is_listed():
    """Every class of a ``common`` module with a backward (other than a model) is in LAYERS."""
    found = set()
    for info in pkgutil.iter_modules(common.__path__):
        if info.name in BOOK_ONLY_NAMES:
            continue
        module = importlib.import_module(f'common.{info.name}')
        found |= {name for name, cls in vars(module).items()
                  if inspect.isclass(cls) and cls.__module__ == module.__name__
                  and hasattr(cls, 'backward') and not issubclass(cls, BaseModel)
                  and not name.startswith('_')}
    assert found == set(LAYERS)


@pytest.mark.parametrize('train_flg', [True, False])
def test_dropout_backward_after_forward_uses_that_forward(train_flg):
    layer = layers.Dropout(0.5, rng=np.random.default_rng(0))
    x = np.ones((4, 6))
    y = layer.forward(x, train_flg)
    np.testing.assert_array_equal(layer.backward(x), y)  # dropped where the forward dropped, or not at all


@pytest.mark.parametrize('name', sorted(LAYERS))
def test_backward_before_forward_says_so(name):
    layer = LAYERS[name]()
    arguments = len(inspect.signature(layer.backward).parameters)
    with pytest.raises(RuntimeError, match=f'{name}.backward .*forward'):
        layer.backward(*[np.ones((2, 4))] * max(arguments, 1))


CHAPTER_PACKAGES = ['ch01_nn', 'ch03_word2vec', 'ch04_fast_w2v', 'ch04_fast_w2v.fast', 'ch05_rnn', 'ch06_lstm',
                    'ch07_seq2seq', 'ch08_attention', 'ch09_transformer', 'ch10_transfer']
_CORPUS = np.arange(60) % 10
_TINY_TRANSFORMER = {'d_model': 8, 'num_heads': 2, 'num_layers': 1, 'd_ff': 8}
_TINY_GPT = {'context_size': 8, **_TINY_TRANSFORMER}  # GPT and BERT models also take a context size
MODELS = {  # 'module.Class': tiny constructor arguments (positional, or (positional, keywords))
    'ch01_nn.two_layer_net.TwoLayerNet': (2, 4, 3),
    'ch03_word2vec.simple_cbow.SimpleCBOW': (10, 3),
    'ch03_word2vec.simple_skip_gram.SimpleSkipGram': (10, 3),
    'ch04_fast_w2v.cbow.CBOW': (10, 3, 1, _CORPUS),
    'ch04_fast_w2v.skip_gram.SkipGram': (10, 3, 1, _CORPUS),
    'ch04_fast_w2v.fast.row_sparse_embedding.RowSparseEmbedding': (W(10, 3),),
    'ch04_fast_w2v.fast.segment_cbow.SegmentCBOW': (10, 3, 1, _CORPUS),
    'ch04_fast_w2v.fast.segment_skip_gram.SegmentSkipGram': (10, 3, 1, _CORPUS),
    'ch04_fast_w2v.fast.segment_skip_gram.SegmentSkipGramLoss': (W(10, 3), _CORPUS, 1),
    'ch04_fast_w2v.fast.shared_negative_sampling.SharedNegativeSamplingLoss': (W(10, 3), _CORPUS),
    'ch05_rnn.mlp_lm.MlpLm': (10, 2, 3, 4),
    'ch05_rnn.simple_rnnlm.SimpleRnnlm': (10, 3, 4),
    'ch06_lstm.rnnlm.Rnnlm': (10, 3, 4),
    'ch06_lstm.better_rnnlm.BetterRnnlm': (10, 4, 4),
    'ch07_seq2seq.seq2seq.Encoder': (10, 3, 4),
    'ch07_seq2seq.seq2seq.Decoder': (10, 3, 4),
    'ch07_seq2seq.seq2seq.Seq2seq': (10, 3, 4),
    'ch07_seq2seq.peeky_seq2seq.PeekyDecoder': (10, 3, 4),
    'ch07_seq2seq.peeky_seq2seq.PeekySeq2seq': (10, 3, 4),
    'ch08_attention.attention_seq2seq.AttentionEncoder': (10, 3, 4),
    'ch08_attention.attention_seq2seq.AttentionDecoder': (10, 3, 4),
    'ch08_attention.attention_seq2seq.AttentionSeq2seq': (10, 3, 4),
    'ch09_transformer.transformer_seq2seq.TransformerEncoder': (10, 8, 2, 1, 8),
    'ch09_transformer.transformer_seq2seq.TransformerDecoder': (10, 8, 2, 1, 8),
    'ch09_transformer.transformer_seq2seq.TransformerSeq2seq': ((10,), _TINY_TRANSFORMER),
    'ch09_transformer.gpt.GPT': ((10,), _TINY_GPT),
    'ch09_transformer.bert.BertEncoder': ((10,), _TINY_GPT),
    'ch10_transfer.mean_vector_classifier.MeanVectorClassifier': (W(10, 3),),
    'ch10_transfer.lstm_classifier.LstmClassifier': (10, 3, 4),
    'ch10_transfer.surprisal_classifier.SurprisalClassifier': (np.zeros(10), 0, 3, 4),
    'ch07_seq2seq.rnnlm_gen.RnnlmGen': (10, 3, 4),
    'ch07_seq2seq.better_rnnlm_gen.BetterRnnlmGen': (10, 4, 4),
    'ch10_transfer.gpt_classifier.GptClassifier': ((10,), _TINY_GPT),
    'ch09_transformer.gpt_gen.GPTGen': ((10,), _TINY_GPT),
    'ch10_transfer.bert_classifier.BertClassifier': ((10,), _TINY_GPT),
    'ch10_transfer.lstm_lm.LstmLm': (10, 5, 3, 4),
    'ch10_transfer.gpt_lm.GptLm': ((10, 5), _TINY_GPT),
    'ch10_transfer.bag_of_words_classifier.BagOfWordsClassifier': (10,),
}


def chapter_class(path):
    module, name = path.rsplit('.', 1)
    return getattr(importlib.import_module(module), name)


BASES = {'ch10_transfer.sentence_classifier.SentenceClassifier'}  # built only through a subclass


def test_every_chapter_class_with_a_backward_is_in_models():
    found = set()
    for package in CHAPTER_PACKAGES:
        for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
            module = importlib.import_module(f'{package}.{info.name}')
            found |= {f'{module.__name__}.{name}' for name, cls in vars(module).items()
                      if inspect.isclass(cls) and cls.__module__ == module.__name__
                      and hasattr(cls, 'backward')}
    assert found - BASES == set(MODELS)


@pytest.mark.parametrize('path', sorted(MODELS))
def test_a_models_backward_before_its_forward_says_so(path):
    cls = chapter_class(path)
    args, kwargs = MODELS[path] if isinstance(MODELS[path][-1], dict) else (MODELS[path], {})
    model = cls(*args, **kwargs)
    needs_argument = any(p.default is inspect.Parameter.empty
                         for p in inspect.signature(model.backward).parameters.values())
    with pytest.raises(RuntimeError, match=r'\.backward .*forward'):
        model.backward(np.ones((2, 3, 4))) if needs_argument else model.backward()


# ----- damaged files: one line naming the file and the problem, never numpy's pickle advice -----

def _damage(path, kind, good):
    """Write a damaged file of ``kind`` at ``path`` (``good``: the bytes of a sound .npz)."""
    if kind == 'empty':
        path.write_bytes(b'')
    elif kind == 'truncated':
        path.write_bytes(good[:len(good) // 2])
    elif kind == 'corrupted':
        middle = len(good) // 2
        path.write_bytes(good[:middle] + bytes(64) + good[middle + 64:])
    elif kind == 'text':
        path.write_text('not numbers\n')
    elif kind == 'npy':
        with open(path, 'wb') as f:
            np.save(f, np.zeros(3))
    elif kind == 'pickled':
        with open(path, 'wb') as f:
            np.savez(f, a=np.array([{'x': 1}], dtype=object))
    elif kind == 'folder':
        path.mkdir()


DAMAGE = {'empty': 'empty', 'truncated': 'damaged', 'corrupted': 'damaged', 'text': 'not an .npz',
          'npy': 'single .npy', 'pickled': 'Python objects', 'folder': 'folder'}


def _small_checkpoint():
    from common.optimizer import SGD
    from common.trainer import RnnlmTrainer
    from harness.checkpoint import Checkpoint
    model = Rnnlm(10, 4, 4, rng=np.random.default_rng(0))
    return Checkpoint(None, RnnlmTrainer(model, SGD(lr=1.0), verbose=False), {})


@pytest.mark.parametrize('kind', sorted(DAMAGE))
@pytest.mark.parametrize('loader', ['checkpoint', 'run', 'word vectors'])
def test_a_damaged_file_gives_one_line_naming_it(tmp_path, kind, loader):
    from ch04_fast_w2v.word_vectors import load_vectors, save_vectors
    good = tmp_path / 'good.npz'
    checkpoint = _small_checkpoint()
    model = checkpoint.trainer.model
    if loader == 'word vectors':
        save_vectors(good, np.ones((3, 2)), {0: 'a', 1: 'b', 2: 'c'})
        bad = tmp_path / 'bad.npz'
        _damage(bad, kind, good.read_bytes())
        load, named = (lambda: load_vectors(str(bad))), bad
    elif loader == 'checkpoint':
        model.save_params(good)
        bad = tmp_path / 'bad.npz'
        _damage(bad, kind, good.read_bytes())
        load, named = (lambda: model.load_params(str(bad))), bad
    else:  # the checkpoint of a run, given to --load
        checkpoint.save(str(good))
        bad = tmp_path / 'bad.npz'
        _damage(bad, kind, good.read_bytes())
        load, named = (lambda: checkpoint.resume(str(bad))), bad
    with pytest.raises(ValueError) as error:
        load()
    message = str(error.value)
    assert repr(str(named)) in message and DAMAGE[kind] in message
    assert '\n' not in message and 'allow_pickle' not in message


def test_a_checkpoint_of_another_model_class_is_refused_by_class(tmp_path):
    from ch04_fast_w2v.cbow import CBOW
    from ch04_fast_w2v.skip_gram import SkipGram
    corpus = np.arange(40) % 10
    CBOW(10, 4, 2, corpus, rng=np.random.default_rng(0)).save_params(tmp_path / 'cbow.npz')
    with pytest.raises(ValueError, match='checkpoint of CBOW, not of SkipGram'):
        SkipGram(10, 4, 2, corpus, rng=np.random.default_rng(0)).load_params(tmp_path / 'cbow.npz')
    Rnnlm(10, 4, 4, rng=np.random.default_rng(0)).save_params(tmp_path / 'rnnlm.npz')
    RnnlmGen(10, 4, 4, rng=np.random.default_rng(1)).load_params(tmp_path / 'rnnlm.npz')  # a subclass


def test_word_vectors_written_by_default_never_overwrite_silently(tmp_path, monkeypatch, capsys):
    from ch04_fast_w2v import train
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'cbow_book_vectors.npz').write_bytes(b'earlier results')
    with pytest.raises(SystemExit) as stop:
        train.main([])  # refused before PTB is read or anything is trained
    assert stop.value.code == 2
    assert ("argument --vectors: 'cbow_book_vectors.npz' exists and the run would write over it by "
            "default; pass --vectors cbow_book_vectors.npz to replace it") in capsys.readouterr().err
    assert (tmp_path / 'cbow_book_vectors.npz').read_bytes() == b'earlier results'


def test_rescore_names_a_missing_folder_or_non_utf8_candidate_file(tmp_path):
    from ch07_seq2seq.rescore import read_candidate_lines
    latin1 = tmp_path / 'latin1.txt'
    latin1.write_bytes('caf\xe9 au lait\n'.encode('latin-1'))
    cases = {str(tmp_path / 'none.txt'): 'does not exist', str(tmp_path): 'is a folder',
             str(latin1): r"is not UTF-8 text: byte 3 \(b'\\xe9'\)"}
    for path, problem in cases.items():
        with pytest.raises(SystemExit, match=f'candidate file {re.escape(repr(path))} {problem}'):
            read_candidate_lines(path)
    (tmp_path / 'good.txt').write_text('you say goodbye\n\nI say hello\n', encoding='utf-8')
    assert read_candidate_lines(str(tmp_path / 'good.txt')) == ['you say goodbye', '', 'I say hello']


@pytest.mark.usefixtures('needs_ptb')
def test_generation_reads_the_sizes_from_the_checkpoint(tmp_path):
    from ch06_lstm.better_rnnlm import BetterRnnlm
    from ch07_seq2seq import generate_text
    small = str(tmp_path / 'small.npz')
    Rnnlm(10000, 6, 10, cell='gru', rng=np.random.default_rng(0)).save_params(small)
    text = generate_text.main(['--load', small, '--length', '5', '--seed', '1'])
    assert len(text.split()) >= 5
    with pytest.raises(SystemExit, match='was trained with --hidden-size 10, not 12'):
        generate_text.main(['--load', small, '--hidden-size', '12'])
    better = str(tmp_path / 'better.npz')
    BetterRnnlm(10000, 6, 6, rng=np.random.default_rng(0)).save_params(better)
    assert generate_text.main(['--load', better, '--length', '3', '--seed', '1'])
    wrong = str(tmp_path / 'wrong.npz')
    Rnnlm(50, 6, 6, rng=np.random.default_rng(0)).save_params(wrong)
    with pytest.raises(SystemExit, match='vocabulary of 50 words'):
        generate_text.main(['--load', wrong])


def test_eval_names_a_missing_or_non_utf8_question_file(tmp_path):
    from ch04_fast_w2v import eval as eval_script
    latin1 = tmp_path / 'questions.txt'
    latin1.write_bytes(': capital\nathens greece caf\xe9 x\n'.encode('latin-1'))
    for flag in ('--analogy-file', '--similarity-file'):
        for path, problem in ((tmp_path / 'none.txt', 'does not exist'), (latin1, 'not UTF-8')):
            with pytest.raises(SystemExit, match=f"{re.escape(repr(str(path)))} .*{problem}"):
                eval_script.main(['unused.npz', flag, str(path)])  # refused before any vectors are read


def test_a_script_run_from_the_command_line_reports_missing_data_in_one_line(tmp_path):
    """An OSError (here: DLFS_DATA_DIR names no folder) ends a script with its message, no traceback."""
    env = {**os.environ, 'DLFS_DATA_DIR': str(tmp_path / 'missing')}
    done = subprocess.run([sys.executable, '-m', 'ch05_rnn.train', '--quiet'], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and 'Traceback' not in done.stderr
    assert done.stderr.startswith(f"train.py: error: DLFS_DATA_DIR is set to '{tmp_path / 'missing'}', "
                                  'but that folder does not exist')


def test_out_of_memory_names_the_size_flags_and_a_bug_keeps_its_traceback(monkeypatch, capsys):
    from harness.flags import make_parser, model_width, run_main
    monkeypatch.setattr(sys, 'argv', ['demo.py'])

    def main(argv):
        parser = make_parser('demo')
        parser.add_argument('--hidden-size', type=model_width, default=100)
        parser.parse_args(argv)
        raise MemoryError('Unable to allocate 64.0 GiB')

    with pytest.raises(SystemExit) as stop:
        run_main(main, ['--hidden-size', '8000'])
    assert stop.value.code == 1
    assert capsys.readouterr().err == ('demo.py: error: not enough memory (Unable to allocate 64.0 GiB): '
                                       'choose smaller sizes than --hidden-size 8000\n')

    def buggy(argv):
        raise KeyError('a bug')

    with pytest.raises(KeyError):  # a bug is not turned into one line
        run_main(buggy)
