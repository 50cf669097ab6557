"""Fine-tune a sentiment classifier on SST or IMDB: pre-trained, the same network from scratch, or a baseline.

    python -m ch10_transfer.finetune --model lstm --pretrained lstm_lm.npz --train-size 1000
    python -m ch10_transfer.finetune --model lstm --pretrained lstm_lm.npz --scratch --train-size 1000
    python -m ch10_transfer.finetune --model gpt --pretrained gpt_lm.npz
    python -m ch10_transfer.finetune --model bert --pretrained bert_mlm.npz
    python -m ch10_transfer.finetune --model bow                  # logistic regression on a bag of words
    python -m ch10_transfer.finetune --model cbow --cbow-vectors cbow_reviews_vectors.npz
    python -m ch10_transfer.finetune --task imdb --model lstm --pretrained lstm_lm.npz

"일반적으로 사전학습을 수행한 언어 모델을 개별 과제에 맞게 미세 조정함": a language model trained on the
reviews (``pretrain_lstm``, ``pretrain_gpt``, ``pretrain_bert``) starts the classifier's layers
and brings its vocabulary; only the head (Affine) starts from random weights.  --scratch builds
the same network in the same vocabulary from random weights, the comparison that shows what
pre-training is worth.  The baselines a reader of chapters 1 and 4 can follow: --model bow, a
logistic regression on which words a text holds (``BagOfWordsClassifier``), and --model cbow, the
mean of CBOW vectors trained on the reviews (``train_cbow``), which stay fixed.

--task sst: the Stanford Sentiment Treebank's binary task, 6,920 training sentences (--train-size N:
a random sample of N of them, drawn with --data-seed; --phrases: every labelled phrase of the
training trees instead, about 77,000), the 872 dev sentences for early stopping, the 1,821 test
sentences for the reported accuracy.  --task imdb: IMDB's 25,000 training reviews less
--valid-size of them held out (drawn with --data-seed) for early stopping, the 25,000 test
reviews for the accuracy, the networks reading each review cut to --max-length tokens (its first
quarter and last three quarters; ``reviews.cut_review``), the baselines whole reviews.  Both tasks
are balanced enough that chance is about 50%.

Training: Adam (AdamW with --weight-decay) at --lr (by default 1e-3 for the LSTM, 3e-4 for the GPT
and BERT; the two logistic regressions 1e-2 on SST, where an epoch of a few hundred sentences is a
handful of steps, and 1e-3 on IMDB, where 1e-2 over-fits within the first epoch), batches of
similar lengths, gradients clipped to --max-grad; after every epoch the valid accuracy, the best
epoch's weights kept, a stop after --patience epochs without a better one.  --freeze-epochs K trains the head alone for the first K
epochs; --head-only never unfreezes the rest (a linear probe).
"""
import argparse
import time

import numpy as np

from ch04_fast_w2v.word_vectors import load_vectors
from ch10_transfer.bag_of_words_classifier import BagOfWordsClassifier
from ch10_transfer.bert_classifier import BertClassifier
from ch10_transfer.gpt_classifier import GptClassifier
from ch10_transfer.gpt_classifier import POOLINGS as GPT_POOLINGS
from ch10_transfer.lstm_classifier import POOLINGS as LSTM_POOLINGS
from ch10_transfer.lstm_classifier import LstmClassifier
from ch10_transfer.mean_vector_classifier import MeanVectorClassifier
from ch10_transfer.reviews import imdb_ids, sst_ids
from ch10_transfer.sentence_classifier import GroupedOptimizer, fit_classifier
from ch10_transfer.transfer import load_shared_params, vocabulary_of
from common.base_model import read_model_record
from common.npz_file import NpzReader
from common.optimizer import Adam, AdamW
from dataset.imdb import build_vocabulary
from dataset.vocabulary import EOS_ID, Vocabulary
from harness.flags import (check_heads, context_length, dropout_ratio, int_in, layer_count, load_or_exit,
                           make_parser, make_rng, model_width, nonnegative_float, nonnegative_int, on_device,
                           positive_float, positive_int, run_main, seed_int)

MODELS = ('lstm', 'gpt', 'bert', 'bow', 'cbow')
PRE_TRAINED = ('lstm', 'gpt', 'bert')  # the models a language-model checkpoint starts
DEFAULT_LR = {'sst': {'lstm': 1e-3, 'gpt': 3e-4, 'bert': 3e-4, 'bow': 1e-2, 'cbow': 1e-2},  # --lr unless given
              'imdb': {'lstm': 1e-3, 'gpt': 3e-4, 'bert': 3e-4, 'bow': 1e-3, 'cbow': 1e-3}}
NETWORK_MAX_LENGTH = 400  # --max-length unless given: the networks' IMDB reviews (the baselines read them whole)
SIZE_FLAGS = {'lstm': ('wordvec_size', 'hidden_size', 'num_layers'),
              'gpt': ('context_size', 'd_model', 'num_heads', 'num_layers', 'd_ff'),
              'bert': ('context_size', 'd_model', 'num_heads', 'num_layers', 'd_ff')}


def make_finetune_parser(description):
    """The flags of ``finetune`` (``finetune_curve`` passes its unknown flags on to it)."""
    parser = make_parser(description, epochs=20, batch_size=32, seed=1984, gpu=False)
    parser.add_argument('--lr', type=positive_float, default=argparse.SUPPRESS,
                        help='learning rate (default: 1e-3 for lstm, 3e-4 for gpt and bert; for bow and cbow '
                             '1e-2 on sst, 1e-3 on imdb)')
    parser.add_argument('--task', choices=('sst', 'imdb'), default='sst', help='the sentiment task')
    parser.add_argument('--model', choices=MODELS, default='lstm', help='classifier')
    parser.add_argument('--pretrained', help='language-model checkpoint that starts the classifier (and gives its '
                                             'sizes and vocabulary)')
    parser.add_argument('--scratch', action='store_true',
                        help='build the network and vocabulary of --pretrained, but from random weights')
    parser.add_argument('--cbow-vectors', help='word-vector file for --model cbow (ch10_transfer.train_cbow --vectors)')
    parser.add_argument('--train-size', type=positive_int,
                        help='labelled training examples: a random sample of this many (default: all)')
    parser.add_argument('--data-seed', type=seed_int, default=1, help='seed of the sample of labelled examples')
    parser.add_argument('--phrases', action='store_true',
                        help='SST: train on every labelled phrase of the training trees (all sentences only)')
    parser.add_argument('--valid-size', type=positive_int, default=1000,
                        help='IMDB: training reviews held out for early stopping')
    parser.add_argument('--max-length', type=positive_int, default=argparse.SUPPRESS,
                        help='IMDB: tokens kept of a review (its first quarter and last three quarters; '
                             f'default: {NETWORK_MAX_LENGTH} for the networks, the whole review for bow and cbow)')
    parser.add_argument('--vocab-size', type=int_in(4, 1_000_000), default=30_000,
                        help='words of the vocabulary without --pretrained or --cbow-vectors')
    parser.add_argument('--wordvec-size', type=model_width, default=256, help='LSTM word-vector size')
    parser.add_argument('--hidden-size', type=model_width, default=512, help='LSTM hidden size')
    parser.add_argument('--num-layers', type=layer_count, default=1, help='LSTM layers or Transformer blocks')
    parser.add_argument('--d-model', type=model_width, default=256, help='GPT/BERT width D')
    parser.add_argument('--num-heads', type=model_width, default=4, help='GPT/BERT attention heads')
    parser.add_argument('--d-ff', type=model_width, default=1024, help='GPT/BERT feed-forward width')
    parser.add_argument('--context-size', type=context_length, default=128, help='GPT/BERT positions')
    parser.add_argument('--pooling', choices=sorted(set(LSTM_POOLINGS) | set(GPT_POOLINGS)),
                        help="what the head reads: LSTM 'concat' (default; last state, max, mean) or 'last'; "
                             "GPT 'mean' (default) or 'last'; BERT reads [CLS]")
    parser.add_argument('--dropout', type=dropout_ratio, default=0.3, help='dropout ratio (0: none)')
    parser.add_argument('--weight-decay', type=nonnegative_float, default=0.0,
                        help="AdamW's weight decay (0: plain Adam)")
    parser.add_argument('--patience', type=positive_int, default=3,
                        help='stop after this many epochs without a better valid accuracy')
    parser.add_argument('--max-grad', type=positive_float, default=1.0, help='clip gradients to this global norm')
    parser.add_argument('--freeze-epochs', type=nonnegative_int, default=0,
                        help='train the head alone for this many epochs first (0: all layers from the start)')
    parser.add_argument('--freeze-embedding', action='store_true',
                        help='never train the word vectors (those --pretrained brings)')
    parser.add_argument('--embedding-lr-scale', type=positive_float, default=1.0,
                        help='learning rate of the word vectors: --lr times this')
    parser.add_argument('--encoder-lr-scale', type=positive_float, default=1.0,
                        help='learning rate of the layers between the word vectors and the head: --lr times this')
    parser.add_argument('--head-only', action='store_true', help='train only the head: a linear probe')
    return parser


def model_sizes(args, parser):
    """The network's sizes: those recorded in --pretrained's checkpoint where it is given, else the
    flags'.  -> {constructor argument: value}."""
    sizes = {key: getattr(args, key) for key in SIZE_FLAGS[args.model]}
    if args.pretrained:
        with load_or_exit(NpzReader, args.pretrained) as reader:
            config = load_or_exit(read_model_record, reader)['config'] or {}
            names = list(reader.headers)
        if args.model == 'lstm' and 'num_layers' not in config:  # a chapter-6 Rnnlm or BetterRnnlm
            config = {**config, 'num_layers': sum(name.endswith('TimeLSTM.Wh') for name in names)}
        sizes.update({key: config[key] for key in sizes if key in config})
    elif args.model in ('gpt', 'bert'):
        check_heads(parser, args.d_model, args.num_heads)
    return sizes


def load_cbow_vectors(path):
    """The word vectors of ``train_cbow`` -> (word_vecs (V, D), the Vocabulary of their words)."""
    word_vecs, _, id_to_word = load_vectors(path)
    words = np.array([id_to_word[i] for i in range(len(id_to_word))])
    return word_vecs, Vocabulary.from_arrays({'vocabulary': words}, repr(path))


def build_model(args, sizes, vocabulary, rng, word_vecs=None):
    """The classifier --model names, in ``vocabulary``, started from --pretrained unless --scratch
    (--model cbow: the mean of ``word_vecs``)."""
    V = len(vocabulary)
    if args.model == 'bow':
        return BagOfWordsClassifier(V)
    if args.model == 'cbow':
        return MeanVectorClassifier(word_vecs, rng=rng)
    if args.model == 'lstm':
        model = LstmClassifier(V, **sizes, dropout_ratio=args.dropout, pooling=args.pooling or 'concat',
                               start_id=EOS_ID, rng=rng)
    elif args.model == 'gpt':
        model = GptClassifier(V, **sizes, dropout_ratio=args.dropout, pooling=args.pooling or 'mean',
                              start_id=EOS_ID, rng=rng)
    else:
        model = BertClassifier(V, **sizes, dropout_ratio=args.dropout, rng=rng)
    model.attach(**vocabulary.to_arrays())
    if args.pretrained and not args.scratch:
        copied = load_or_exit(load_shared_params, model, args.pretrained)
        if not args.quiet:
            print(f'from {args.pretrained}: {len(copied)} arrays ({", ".join(copied[:3])}, ...)')
    return model


def task_data(args, vocabulary, limit):
    """(train, valid, test), each (texts: list of id arrays, labels), of --task, with the training
    examples --train-size and --phrases ask for; IMDB's reviews cut to ``limit`` tokens."""
    rng = np.random.default_rng(args.data_seed)
    if args.task == 'sst':
        train = sst_ids('train', vocabulary, phrases=args.phrases)
        valid, test = sst_ids('dev', vocabulary), sst_ids('test', vocabulary)
    else:
        reviews, labels = imdb_ids('train', vocabulary, limit)
        order = rng.permutation(len(reviews))
        held, kept = order[:args.valid_size], order[args.valid_size:]
        train = [reviews[k] for k in kept], labels[kept]
        valid = [reviews[k] for k in held], labels[held]
        test = imdb_ids('test', vocabulary, limit)
    if args.train_size is not None:
        if args.train_size > len(train[0]):
            raise ValueError(f'the training set holds {len(train[0])} examples')
        picked = np.sort(rng.choice(len(train[0]), args.train_size, replace=False))
        train = [train[0][k] for k in picked], train[1][picked]
    return train, valid, test


def main(argv=None):
    """Returns ``{'test': test accuracy, 'valid': [valid accuracy per epoch], 'best_epoch': int,
    'loss': [...], 'train_size': int, 'cpu_s': float, 'wall_s': float}``."""
    parser = make_finetune_parser(__doc__)
    args = parser.parse_args(argv)
    args.lr = getattr(args, 'lr', DEFAULT_LR[args.task][args.model])
    args.max_length = getattr(args, 'max_length', NETWORK_MAX_LENGTH if args.model in PRE_TRAINED else None)
    if args.model in PRE_TRAINED and args.scratch and not args.pretrained:
        parser.error('--scratch builds the network of --pretrained: give --pretrained too')
    if args.model not in PRE_TRAINED and (args.pretrained or args.scratch):
        parser.error(f'--model {args.model} is not started from a language model: drop --pretrained/--scratch')
    if args.model == 'cbow' and not args.cbow_vectors:
        parser.error('--model cbow needs --cbow-vectors: the word vectors of `python -m ch10_transfer.train_cbow`')
    if args.phrases and (args.task != 'sst' or args.train_size is not None):
        parser.error('--phrases adds the phrases of all SST training trees: use it with --task sst and no --train-size')
    if args.pooling and args.model not in ('lstm', 'gpt'):
        parser.error(f'--pooling is for --model lstm or gpt, not {args.model}')
    if args.pooling and args.pooling not in (LSTM_POOLINGS if args.model == 'lstm' else GPT_POOLINGS):
        parser.error(f'--model {args.model} pools with one of {LSTM_POOLINGS if args.model == "lstm" else GPT_POOLINGS}')
    start, cpu_start = time.perf_counter(), time.process_time()

    sizes, word_vecs = model_sizes(args, parser) if args.model in PRE_TRAINED else {}, None
    if args.pretrained:
        vocabulary = load_or_exit(vocabulary_of, args.pretrained)
    elif args.model == 'cbow':
        word_vecs, vocabulary = load_or_exit(load_cbow_vectors, args.cbow_vectors)
    else:
        vocabulary = build_vocabulary(args.vocab_size)
    rng = make_rng(args.seed)  # the classifier's initial weights, then the batches and dropout
    model = on_device(build_model(args, sizes, vocabulary, rng, word_vecs), args.gpu)
    limit = args.max_length
    if model.max_length is not None:  # a Transformer reads at most its context
        limit = min(limit, model.max_length - len(model.first_ids) - len(model.last_ids))
    try:
        train, valid, test = task_data(args, vocabulary, limit)
    except ValueError as error:  # a sample larger than the training set
        parser.error(f'--train-size {args.train_size}: {error}')

    head_prefix = model.param_names[-1].split('.')[0] + '.'  # the head's layer index, '05.'

    def make_optimizer(names):
        """Adam (AdamW with --weight-decay) for the parameters ``names``, each group at its rate."""
        scales = [args.embedding_lr_scale if name.endswith('TimeEmbedding.W') else
                  1.0 if name.startswith(head_prefix) else args.encoder_lr_scale for name in names]
        groups = {scale: [k for k, s in enumerate(scales) if s == scale] for scale in sorted(set(scales))}
        adam = [(AdamW(args.lr * scale, weight_decay=args.weight_decay) if args.weight_decay else
                 Adam(args.lr * scale), indices) for scale, indices in groups.items()]
        return adam[0][0] if len(adam) == 1 else GroupedOptimizer(adam)

    frozen = [name for name in model.param_names if args.freeze_embedding and name.endswith('TimeEmbedding.W')]
    history = fit_classifier(model, None, train, valid, args.epochs, args.batch_size, args.patience, args.max_grad,
                             rng, verbose=not args.quiet, head_only=args.head_only, bucket=True,
                             freeze_epochs=args.freeze_epochs, frozen=frozen, make_optimizer=make_optimizer)
    test_accuracy = model.accuracy(*test)
    cpu_s, wall_s = time.process_time() - cpu_start, time.perf_counter() - start
    origin = {'bow': 'bag of words', 'cbow': f'mean of {args.cbow_vectors}'}.get(
        args.model, 'from scratch' if args.scratch or not args.pretrained else f'from {args.pretrained}')
    print(f'{args.task} {args.model} {origin}, {len(train[0])} labelled examples: best epoch {history["best_epoch"]}, '
          f'valid {100 * max(history["valid"]):.2f}%, test accuracy {100 * test_accuracy:.2f}% '
          f'({cpu_s:.0f} s CPU, {wall_s:.0f} s wall)', flush=True)
    return {'test': test_accuracy, **history, 'train_size': len(train[0]), 'cpu_s': cpu_s, 'wall_s': wall_s}


if __name__ == '__main__':
    run_main(main)
