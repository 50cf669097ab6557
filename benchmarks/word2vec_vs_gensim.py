"""Our word2vec fast mode against gensim, side by side: words/s and vector quality.

    python -m venv /tmp/bench && /tmp/bench/bin/pip install gensim    # benchmark-only peer
    DLFS_DATA_DIR=../shared/data/ptb PYTHONPATH=$PWD /tmp/bench/bin/python \\
        benchmarks/word2vec_vs_gensim.py --models cbow skipgram --seeds 1 2 3

gensim is not a dependency of this project: install it only where you run this benchmark (it
brings its own NumPy).  Without gensim the script times our fast mode alone, and needs
--analogy-file / --similarity-file for the quality figures (gensim's wheel ships both files:
gensim/test/test_data/questions-words.txt and wordsim353.tsv).

Both train on the same PTB training text (929,589 words with <eos>; gensim gets it as
sentences of 10,000 words, the longest it takes) with the same settings: window 5, 100
dimensions, 5 negatives from P(w)^0.75, --epochs (10) passes, no subsampling, every word of the
vocabulary kept (min_count 1), learning rates each library's default.  gensim runs with
--gensim-workers threads (2); our fast mode with --workers processes (2: train_fast --workers,
Hogwild-style on shared tables, each with one BLAS thread; OPENBLAS_NUM_THREADS=1 is set
below).  Each seed trains both, ours first, so the two alternate in time and see the same load.

words/s = words trained / wall time of training (our Trainer's epochs, gensim's
Word2Vec.train); CPU seconds = the CPU time of this process and of its finished children (our
workers) over the run, and words per CPU second = words / CPU seconds, steadier on a shared
machine.
Quality: ch04_fast_w2v.word_vector_eval on both sets of vectors (analogy accuracy on the questions
whose four words are in PTB's vocabulary; Spearman correlation on the WordSim-353 pairs in it).
The medians over the seeds and the medians of the per-seed speed ratios (in words/s, and in
words per CPU second, steadier on a loaded machine) are printed last, with the load average and
a float32 GEMM rate measured in the same run.
"""
import os

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')  # before NumPy loads: our fast mode's setting

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from ch04_fast_w2v import train_fast  # noqa: E402
from ch04_fast_w2v.word_vector_eval import (analogy_accuracy, read_analogy_questions,  # noqa: E402
                                            read_similarity_pairs, similarity_correlation)
from ch04_fast_w2v.word_vectors import load_vectors  # noqa: E402
from dataset import ptb  # noqa: E402
from harness.flags import positive_int, run_main, seed_int  # noqa: E402

try:
    import gensim
    from gensim.models import Word2Vec
    from gensim.test.utils import datapath
except ImportError:
    gensim = None


def gemm_rate(size=1000, repeat=5):
    """GFLOP/s of a float32 (size x size) matrix product, best of ``repeat``."""
    a = np.ones((size, size), dtype=np.float32)
    best = min(_timed(lambda: a @ a) for _ in range(repeat))
    return 2 * size ** 3 / best / 1e9


def _timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def quality(word_vecs, word_to_id, questions, pairs):
    """(analogy accuracy, Spearman) of a (V, D) table; None for a file not given."""
    accuracy = analogy_accuracy(word_vecs, word_to_id, questions)['accuracy'] if questions else None
    rho = similarity_correlation(word_vecs, word_to_id, pairs)['spearman'] if pairs else None
    return accuracy, rho


def cpu_seconds():
    """CPU time (user + system) of this process and of its children that have ended."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def run_ours(model, seed, epochs, workers, folder):
    """Train our fast mode with ``workers`` processes -> (words/s, CPU seconds, words per CPU
    second, word_vecs, word_to_id)."""
    path = os.path.join(folder, f'{model}_{seed}.npz')
    cpu = cpu_seconds()
    _, trainer, words_per_second = train_fast.main(['--model', model, '--epochs', str(epochs),
                                                    '--seed', str(seed), '--workers', str(workers),
                                                    '--quiet', '--vectors', path])
    cpu = cpu_seconds() - cpu
    words = trainer.optimizer.iter * train_fast.BATCH_SIZE  # steps x targets
    word_vecs, word_to_id, _ = load_vectors(path)
    return words_per_second, cpu, words / cpu, word_vecs, word_to_id


def run_gensim(model, seed, epochs, workers, sentences, id_to_word):
    """Train gensim's Word2Vec -> (words/s, CPU seconds, words per CPU second, word_vecs in our
    id order)."""
    w2v = Word2Vec(vector_size=100, window=5, negative=5, hs=0, sample=0, min_count=1,
                   sg=int(model == 'skipgram'), workers=workers, seed=seed)
    w2v.build_vocab(sentences)
    words = sum(len(s) for s in sentences) * epochs
    cpu, start = cpu_seconds(), time.perf_counter()
    w2v.train(sentences, total_examples=len(sentences), epochs=epochs)
    elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    word_vecs = np.stack([w2v.wv[id_to_word[i]] for i in range(len(id_to_word))])
    return words / elapsed, cpu, words / cpu, word_vecs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--models', nargs='+', choices=['cbow', 'skipgram'], default=['cbow', 'skipgram'])
    parser.add_argument('--seeds', nargs='+', type=seed_int, default=[1, 2, 3],
                        help='one run of each library per seed (at least 3 for a median)')
    parser.add_argument('--epochs', type=positive_int, default=10)
    parser.add_argument('--workers', type=positive_int, default=2,
                        help='our worker processes (train_fast --workers; 1: one process)')
    parser.add_argument('--gensim-workers', type=positive_int, default=2, help='gensim worker threads')
    parser.add_argument('--analogy-file', help="default: gensim's questions-words.txt")
    parser.add_argument('--similarity-file', help="default: gensim's wordsim353.tsv")
    parser.add_argument('--no-gensim', action='store_true', help='time our fast mode only')
    args = parser.parse_args(argv)

    use_gensim = gensim is not None and not args.no_gensim
    if gensim is None:
        print('gensim is not installed: timing our fast mode only.  To compare, install it in the '
              'environment that runs this script (`pip install gensim`; benchmark-only, never a '
              'dependency of this project).')
    analogy_file = args.analogy_file or (datapath('questions-words.txt') if gensim else None)
    similarity_file = args.similarity_file or (datapath('wordsim353.tsv') if gensim else None)
    questions = read_analogy_questions(analogy_file) if analogy_file else None
    pairs = read_similarity_pairs(similarity_file) if similarity_file else None

    corpus, word_to_id, id_to_word = ptb.load_data('train')
    words = [id_to_word[int(i)] for i in corpus]
    sentences = [words[i:i + 10_000] for i in range(0, len(words), 10_000)]
    print(f'gensim {gensim.__version__ if gensim else "absent"}, NumPy {np.__version__}; '
          f'load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores); GEMM {gemm_rate():.0f} '
          f'GFLOP/s; ours with {args.workers} worker process(es), gensim with '
          f'{args.gensim_workers} worker thread(s)')

    summary = {}
    with tempfile.TemporaryDirectory() as folder:
        for model in args.models:
            runs = {'ours': [], 'gensim': []}
            for seed in args.seeds:
                load = os.getloadavg()[0]
                speed, cpu, per_cpu, vecs, vocab = run_ours(model, seed, args.epochs, args.workers,
                                                            folder)
                runs['ours'].append((speed, *quality(vecs, vocab, questions, pairs), cpu, per_cpu))
                print(f'{model} seed {seed} ours  : {speed:9,.0f} words/s, CPU {cpu:5.1f} s '
                      f'({per_cpu:,.0f} words per CPU s), '
                      f'analogy {_f(runs["ours"][-1][1])}, WS-353 {_f(runs["ours"][-1][2])}, '
                      f'load {load:.2f}', flush=True)
                if use_gensim:
                    load = os.getloadavg()[0]
                    speed, cpu, per_cpu, vecs = run_gensim(model, seed, args.epochs,
                                                           args.gensim_workers, sentences, id_to_word)
                    runs['gensim'].append((speed, *quality(vecs, word_to_id, questions, pairs), cpu,
                                           per_cpu))
                    print(f'{model} seed {seed} gensim: {speed:9,.0f} words/s, CPU {cpu:5.1f} s '
                          f'({per_cpu:,.0f} words per CPU s), '
                          f'analogy {_f(runs["gensim"][-1][1])}, '
                          f'WS-353 {_f(runs["gensim"][-1][2])}, load {load:.2f}', flush=True)
            summary[model] = runs
            _print_summary(model, runs, args.workers, args.gensim_workers)
    print(f'load average at the end {os.getloadavg()[0]:.2f}; GEMM {gemm_rate():.0f} GFLOP/s')
    return summary


def _f(value):
    return 'n/a' if value is None else f'{value:.4f}'


def _print_summary(model, runs, workers, gensim_workers):
    """Medians over the seeds; runs[side] = [(words/s, analogy, Spearman, CPU s, words per CPU s)]."""
    def median(side, column):
        values = [run[column] for run in runs[side]]
        return None if not values or values[0] is None else statistics.median(values)

    line = (f'== {model}: ours ({workers} workers) {median("ours", 0):,.0f} words/s, '
            f'{median("ours", 4):,.0f} words per CPU s, analogy '
            f'{_f(median("ours", 1))}, WS-353 {_f(median("ours", 2))} (medians of {len(runs["ours"])})')
    if runs['gensim']:
        ratio = statistics.median(o[0] / g[0] for o, g in zip(runs['ours'], runs['gensim']))
        cpu_ratio = statistics.median(o[4] / g[4] for o, g in zip(runs['ours'], runs['gensim']))
        line += (f' | gensim ({gensim_workers} workers) {median("gensim", 0):,.0f} words/s, '
                 f'{median("gensim", 4):,.0f} words per CPU s, analogy '
                 f'{_f(median("gensim", 1))}, WS-353 {_f(median("gensim", 2))} | '
                 f'ours / gensim {ratio:.2f}x in words/s, {cpu_ratio:.2f}x in words per CPU '
                 'second (medians of per-seed ratios)')
    print(line, flush=True)


if __name__ == '__main__':
    run_main(main)
