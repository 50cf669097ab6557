"""Zero-shot word order: which of two sentences is the real one?  (the book's rescoring, 5.1)

    python -m ch10_transfer.zero_shot --rnnlm rnnlm.npz --better better_rnnlm.npz --gpt gpt.npz
    python -m ch10_transfer.zero_shot --book-weights BetterRnnlm.pkl      # the book's trained model

Every sentence of the PTB test file with at least 5 words (3,622 of them) is paired with a copy
in which two different words are swapped (``dataset.word_order.swapped_pairs``).  Each language
model scores both as '<eos>' + sentence + '<eos>' and picks the one with the higher log-probability;
its accuracy is the share of pairs where that is the real sentence (a tie counts one half).
Kneser-Ney is counted on PTB train at start-up (a few seconds); the neural models are read from
their checkpoints (sizes taken from the saved arrays), or --book-weights reads the book's own
trained Rnnlm.pkl or BetterRnnlm.pkl (with --save, also written as our checkpoint for --rnnlm or
--better).  No model sees a labelled example: the
knowledge of word order comes from language-model training alone.

``--single N`` asks the fine-tuning task's question instead, of one sentence at a time: is this
sentence real or a swapped copy?  For each of the first N sentences s of ``word_order_finetune``'s test split,
with the swaps s_1 .. s_M that ``swap_two_words`` could make of it, Bayes' rule with the language
model as the distribution of real sentences (a real one or a swap, each with prior 1/2) says real
iff  log P(s) > log (1/M sum_m P(s_m)):  the real sentence it came from would be one of the s_m.
This costs M + 1 sentence scores per sentence (M is about L^2 / 2), so N is best a few hundred.
"""
import time

import numpy as np

from ch05_rnn.ngram import KneserNeyLM
from ch06_lstm.book_weights import load_book_language_model
from ch07_seq2seq.better_rnnlm_gen import BetterRnnlmGen
from ch07_seq2seq.rnnlm_gen import RnnlmGen
from ch07_seq2seq.sentence_scorer import NgramScorer
from ch09_transformer.gpt_gen import GPTGen
from common.npz_file import NpzReader
from dataset.ptb import load_data
from dataset.word_order import all_swaps, swapped_pairs
from dataset.word_order import load_data as load_task
from harness.flags import load_or_exit, make_parser, nonnegative_int, positive_int, run_main, writable_path


def load_lstm_lm(path, model_class):
    """A chapter-7 generator (RnnlmGen or BetterRnnlmGen) with the sizes and arrays of ``path``."""
    with NpzReader(path) as reader:
        shapes = {name: shape for name, (shape, _) in reader.headers.items()}
    embed = shapes.get('00.TimeEmbedding.W')
    hidden = [shape for name, shape in shapes.items() if name.endswith('TimeLSTM.Wh')]
    if embed is None or not hidden:
        raise ValueError(f'{path!r} is not a checkpoint of an LSTM language model '
                         f'(no embedding or LSTM arrays; it holds {sorted(shapes)})')
    model = model_class(embed[0], embed[1], hidden[0][0])
    model.load_params(path)
    return model


def pairwise_accuracy(scorer, originals, swapped, eos_id):
    """Share of pairs where the original gets the higher log-probability (ties count 1/2).

    originals, swapped: lists of (L_i,) id arrays of equal lengths pairwise -> float in [0, 1].
    """
    log_p = scorer.score_sentences(list(originals) + list(swapped), eos_id)
    real, fake = log_p[:len(originals)], log_p[len(originals):]
    return float(np.mean((real > fake) + 0.5 * (real == fake)))


def single_sentence_accuracy(scorer, sentences, labels, eos_id):
    """Share of sentences Bayes' rule labels right: real (1) iff log P(s) > log mean_m P(s_m).

    sentences: list of (L_i,) id arrays, labels: 1 real / 0 swapped; s_m: ``all_swaps(s)``.
    """
    correct = 0
    for sentence, label in zip(sentences, labels):
        swaps = all_swaps(sentence)
        log_p = scorer.score_sentences([sentence, *swaps], eos_id)
        log_p_swapped = np.logaddexp.reduce(log_p[1:]) - np.log(len(swaps))  # log (1/M sum_m P(s_m))
        correct += int((log_p[0] > log_p_swapped) == bool(label))
    return correct / len(sentences)


def main(argv=None):
    """Returns ``{model name: pairwise accuracy}`` (with --single also ``{'<name> single': accuracy}``)."""
    parser = make_parser(__doc__, seed=1984)
    parser.add_argument('--kn-order', type=nonnegative_int, default=5, choices=(0, 2, 3, 4, 5),
                        help='order of the Kneser-Ney model (2 to 5; 0: leave it out)')
    parser.add_argument('--rnnlm', help='Rnnlm checkpoint (ch06_lstm.train_rnnlm --save)')
    parser.add_argument('--better', help='BetterRnnlm checkpoint (ch06_lstm.train_better_rnnlm --save)')
    parser.add_argument('--gpt', help='GPT checkpoint (ch09_transformer.train_gpt --save)')
    parser.add_argument('--book-weights', metavar='FILE.pkl',
                        help="the book's trained Rnnlm.pkl or BetterRnnlm.pkl, scored beside the others")
    parser.add_argument('--save', metavar='OUT.npz', type=writable_path,
                        help='with --book-weights: also write the book\'s model as our checkpoint')
    parser.add_argument('--max-pairs', type=positive_int, help='score only the first N pairs')
    parser.add_argument('--single', type=positive_int, metavar='N',
                        help="also judge the first N (at most 2,000) sentences of word_order_finetune's test split one at a time")
    parser.add_argument('--max-tokens', type=positive_int,
                        help='count the Kneser-Ney model on the first N training tokens only')
    args = parser.parse_args(argv)
    if args.save and not args.book_weights:
        parser.error('--save writes the model of --book-weights: give --book-weights too')

    corpus, word_to_id, _ = load_data('train')
    eos_id = word_to_id['<eos>']
    originals, swapped = swapped_pairs('test', seed=args.seed)
    originals, swapped = originals[:args.max_pairs], swapped[:args.max_pairs]

    scorers = {}
    if args.kn_order:
        kn_model = KneserNeyLM(len(word_to_id), args.kn_order).fit(corpus[:args.max_tokens])
        scorers[f'KN-{args.kn_order}'] = NgramScorer(kn_model)
    if args.rnnlm:
        scorers['Rnnlm'] = load_or_exit(load_lstm_lm, args.rnnlm, RnnlmGen)
    if args.better:
        scorers['BetterRnnlm'] = load_or_exit(load_lstm_lm, args.better, BetterRnnlmGen)
    if args.gpt:
        scorers['GPT'] = load_or_exit(GPTGen.from_checkpoint, args.gpt)
    if args.book_weights:
        book_model = load_or_exit(load_book_language_model, args.book_weights, RnnlmGen, BetterRnnlmGen)
        scorers[f"the book's {type(book_model).__name__.removesuffix('Gen')}"] = book_model
        if args.save:
            book_model.save_params(args.save)
            print(f'wrote {args.save}: the book\'s model as our checkpoint')
    if not scorers:
        parser.error('no model to score with: give --kn-order > 0 or a checkpoint')

    results = {}
    for name, scorer in scorers.items():
        start = time.perf_counter()
        results[name] = pairwise_accuracy(scorer, originals, swapped, eos_id)
        print(f'{name:16s} pairwise accuracy {100 * results[name]:6.2f}% over {len(originals)} pairs '
              f'({time.perf_counter() - start:.1f}[s])')
    if args.single:
        sentences, labels = load_task(2, 2, 2000, seed=args.seed)[2]  # word_order_finetune's test split
        sentences, labels = sentences[:args.single], labels[:args.single]
        for name, scorer in scorers.items():
            start = time.perf_counter()
            accuracy = single_sentence_accuracy(scorer, sentences, labels, eos_id)
            results[f'{name} single'] = accuracy
            print(f'{name:16s} single-sentence accuracy {100 * accuracy:6.2f}% over {len(sentences)} '
                  f'sentences, {int(np.sum(labels))} of them real ({time.perf_counter() - start:.1f}[s])')
    return results


if __name__ == '__main__':
    run_main(main)
