"""Fine-tune a sentence classifier on the word-order task: pre-trained or from scratch.

    python -m ch10_transfer.word_order_finetune --model lstm --pretrained rnnlm.npz
    python -m ch10_transfer.word_order_finetune --model lstm                     # the same net, from scratch
    python -m ch10_transfer.word_order_finetune --model lstm --num-layers 2 --wordvec-size 650 \\
        --hidden-size 650 --dropout 0.5 --pretrained better_rnnlm.npz
    python -m ch10_transfer.word_order_finetune --model bert --num-layers 2 --pretrained bert.npz
    python -m ch10_transfer.word_order_finetune --model gpt --pretrained gpt.npz
    python -m ch10_transfer.word_order_finetune --model cbow --cbow-vectors cbow_fast_vectors.npz
    python -m ch10_transfer.word_order_finetune --model lstm --pretrained rnnlm.npz --head-only --lr 0.01
    python -m ch10_transfer.word_order_finetune --model surprisal --pretrained rnnlm.npz

"일반적으로 사전학습을 수행한 언어 모델을 개별 과제에 맞게 미세 조정함": a language model trained on
unlabelled text (Rnnlm, BetterRnnlm, the GPT of train_gpt, the BertEncoder of pretrain_bert)
starts the classifier's layers; only its head (Affine) starts from random weights.  The task
(``dataset.word_order``): is the sentence the real PTB sentence (label 1) or a copy with two
words swapped (0)?  ``--train-size`` labelled sentences for training,
2,000 for early stopping (valid) and 2,000 for the final test accuracy; splits are balanced, so
chance is 50%.  The cbow model (mean of chapter-4 word vectors) cannot see order and stays there.
``--head-only`` freezes the pre-trained layers and trains the Affine head alone: a linear probe
of how much of the answer the encoder's sentence vector already holds.  ``--model surprisal``
keeps the whole Rnnlm, output layer included, and classifies how surprised it is by each word
(``ch10_transfer.surprisal_classifier``) instead of its last state.
"""
import time

import numpy as np

from ch04_fast_w2v.word_vectors import load_vectors
from ch10_transfer.bert_classifier import BertClassifier
from ch10_transfer.gpt_classifier import GptClassifier
from ch10_transfer.lstm_classifier import LstmClassifier
from ch10_transfer.mean_vector_classifier import MeanVectorClassifier
from ch10_transfer.sentence_classifier import fit_classifier
from ch10_transfer.surprisal_classifier import SurprisalClassifier
from ch10_transfer.transfer import load_shared_params
from common.base_model import read_model_record
from common.npz_file import NpzReader
from common.optimizer import Adam
from dataset.ptb import load_data as load_ptb
from dataset.word_order import load_data
from harness.flags import (check_heads, context_length, dropout_ratio, layer_count, load_or_exit,
                           make_parser, make_rng, model_width, on_device, positive_float, positive_int,
                           run_main)

MODELS = ('lstm', 'surprisal', 'gpt', 'bert', 'cbow')
TRANSFORMERS = {'gpt': GptClassifier, 'bert': BertClassifier}


def build_model(args, corpus, word_to_id, rng):
    """The classifier ``args.model`` names, started from ``args.pretrained`` when given.
    corpus, word_to_id: PTB train as ``dataset.ptb.load_data`` gives it (the vocabulary, and the
    unigram counts of --model surprisal)."""
    vocab_size = len(word_to_id)
    if args.model == 'cbow':
        if not args.cbow_vectors:
            raise SystemExit('--model cbow needs --cbow-vectors: the word vectors of '
                             '`python -m ch04_fast_w2v.train_fast` (cbow_fast_vectors.npz)')
        return MeanVectorClassifier(load_or_exit(vectors_in_ptb_order, args.cbow_vectors, word_to_id), rng=rng)
    if args.model in TRANSFORMERS:
        sizes = {'context_size': args.context_size, 'd_model': args.d_model, 'num_heads': args.num_heads,
                 'num_layers': args.num_layers, 'd_ff': args.d_ff}
        if args.pretrained:  # a GPT or BERT checkpoint carries its sizes
            with load_or_exit(NpzReader, args.pretrained) as reader:
                config = load_or_exit(read_model_record, reader)['config']
            sizes.update({k: v for k, v in (config or {}).items() if k in sizes})
        model = TRANSFORMERS[args.model](vocab_size, **sizes, dropout_ratio=args.dropout, rng=rng)
    elif args.model == 'surprisal':
        counts = np.maximum(np.bincount(corpus, minlength=vocab_size), 1)  # unseen words: count 1
        model = SurprisalClassifier(np.log(counts / counts.sum()), word_to_id['<eos>'], args.wordvec_size,
                                    args.hidden_size, rng=rng)
    else:
        model = LstmClassifier(vocab_size, args.wordvec_size, args.hidden_size, args.num_layers,
                               dropout_ratio=args.dropout, rng=rng)
    if args.pretrained:
        copied = load_or_exit(lambda path: load_shared_params(model, path), args.pretrained)
        if not args.quiet:
            print(f'from {args.pretrained}: {", ".join(copied)}')
    return model


def vectors_in_ptb_order(path, word_to_id):
    """The vectors of the word-vector file ``path`` put in PTB's order: row i is the vector of the
    word whose PTB id is i, found by the file's own word list -> (V, D).  ValueError naming the
    file when it lacks a vector for some PTB word."""
    word_vecs, file_word_to_id, _ = load_vectors(path)
    missing = [word for word in word_to_id if word not in file_word_to_id]
    if missing:
        raise ValueError(f'{path!r} has no vector for {len(missing):,} of the {len(word_to_id):,} PTB words '
                         f'(such as {", ".join(map(repr, missing[:3]))}): give the vectors of a run on PTB, '
                         '`python -m ch04_fast_w2v.train_fast`')
    ptb_order = sorted(word_to_id, key=word_to_id.get)
    return word_vecs[[file_word_to_id[word] for word in ptb_order]]


def main(argv=None):
    """Returns ``{'test': test accuracy, 'valid': [valid accuracy per epoch], 'best_epoch': int}``."""
    parser = make_parser(__doc__, epochs=20, batch_size=32, lr=0.001, seed=1984, gpu=False)
    parser.add_argument('--model', choices=MODELS, default='lstm', help='classifier')
    parser.add_argument('--pretrained', help='language-model checkpoint that starts the classifier')
    parser.add_argument('--cbow-vectors', help='word-vector file for --model cbow (ch04_fast_w2v.train --vectors)')
    parser.add_argument('--train-size', type=positive_int, default=2000,
                        help='labelled training sentences (even)')
    parser.add_argument('--eval-size', type=positive_int, default=2000,
                        help='sentences of the valid and of the test split (even)')
    parser.add_argument('--data-seed', type=positive_int, default=1984, help='seed of the task data')
    parser.add_argument('--wordvec-size', type=model_width, default=100, help='LSTM word-vector size')
    parser.add_argument('--hidden-size', type=model_width, default=100, help='LSTM hidden size')
    parser.add_argument('--num-layers', type=layer_count, default=1, help='LSTM layers or Transformer blocks')
    parser.add_argument('--dropout', type=dropout_ratio, default=0.0, help='dropout ratio (0: none)')
    parser.add_argument('--d-model', type=model_width, default=128,
                        help='GPT/BERT width D (with --pretrained: the checkpoint\'s)')
    parser.add_argument('--num-heads', type=model_width, default=4, help='GPT/BERT attention heads')
    parser.add_argument('--d-ff', type=model_width, default=512, help='GPT/BERT feed-forward width')
    parser.add_argument('--context-size', type=context_length, default=96, help='GPT/BERT positions')
    parser.add_argument('--patience', type=positive_int, default=3,
                        help='stop after this many epochs without a better valid accuracy')
    parser.add_argument('--max-grad', type=positive_float, default=1.0, help='clip gradients to this norm')
    parser.add_argument('--head-only', action='store_true',
                        help="train only the head's Affine, the encoder frozen: a linear probe of its vector")
    args = parser.parse_args(argv)

    for flag in ('train_size', 'eval_size'):
        if getattr(args, flag) % 2:
            parser.error(f'--{flag.replace("_", "-")} must be even (the splits are balanced)')
    if args.model == 'surprisal' and (args.num_layers != 1 or args.dropout):
        parser.error('--model surprisal is the Rnnlm: one LSTM layer (--num-layers 1), no dropout')
    if args.model in TRANSFORMERS and not args.pretrained:  # (a checkpoint brings its own sizes)
        check_heads(parser, args.d_model, args.num_heads)
    try:
        train, valid, test = load_data(args.train_size, args.eval_size, args.eval_size, args.data_seed)
    except ValueError as error:  # more sentences asked for than PTB has
        parser.error(f'--train-size {args.train_size}, --eval-size {args.eval_size}: {error}')
    rng = make_rng(args.seed)
    corpus, word_to_id, _ = load_ptb('train')
    model = on_device(build_model(args, corpus, word_to_id, rng), args.gpu)
    if args.model == 'surprisal':
        model.fit_feature_scale(train[0])  # the head starts on features of unit scale

    start = time.perf_counter()
    history = fit_classifier(model, Adam(args.lr), train, valid, args.epochs, args.batch_size,
                             args.patience, args.max_grad, rng, verbose=not args.quiet,
                             head_only=args.head_only)
    test_accuracy = model.accuracy(*test)
    start_file = args.pretrained or (args.cbow_vectors if args.model == 'cbow' else None)
    origin = f'from {start_file}' if start_file else 'from scratch'
    origin += ', head only' if args.head_only else ''
    print(f'{args.model} {origin}, {args.train_size} labelled sentences: best epoch '
          f'{history["best_epoch"]}, valid {100 * max(history["valid"]):.2f}%, test accuracy '
          f'{100 * test_accuracy:.2f}% ({time.perf_counter() - start:.0f}[s])')
    return {'test': test_accuracy, **history}


if __name__ == '__main__':
    run_main(main)
