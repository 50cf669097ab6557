"""Pre-train a BertEncoder on PTB train as a masked language model (beyond the book).

    python -m ch09_transformer.pretrain_bert --save bert.npz --plot bert_mlm.png
    python -m ch09_transformer.pretrain_bert --load bert.npz --save bert.npz     # resume

Each PTB sentence becomes '[CLS] words [SEP]' (batches padded with [PAD]).  BERT's masking rule
(``bert.mask_tokens``): 15% of the words chosen, of those 80% replaced by [MASK], 10% by a random
word, 10% kept; the model is trained to give back the original words (AdamW, linear warm-up then
cosine decay).  Every ``--eval-interval`` steps it measures, on PTB valid with one fixed masking,
the masked-token accuracy (the original word ranked first) and perplexity
(exp of the mean cross-entropy over the masked words), and saves a checkpoint: the parameters
(``--save``, read by finetune) and, beside it (``.state.npz``), the optimizer, the schedule, the
position in the run and the curve, so ``--load`` resumes from the last checkpoint.  Ctrl-C stops
at once and keeps the last checkpoint (resuming redoes the steps since).  Defaults: about 60
minutes on 2 quiet cores (20 epochs of 658 steps at about 0.2 s of CPU a step, measured).
"""
import json
import os
import sys
import time

import numpy as np

from ch09_transformer.bert import IGNORE, BertEncoder, mask_tokens, special_ids
from common.backend import array_module, as_model_device, to_cpu
from common.functions import log_softmax
from common.npz_file import atomic_savez
from common.optimizer import AdamW, WarmupCosineSchedule
from common.plot import plot_curves
from common.sequence_pooling import pad_sentences
from common.util import clip_grads
from dataset.ptb import load_sentences
from harness.checkpoint import state_path
from harness.flags import (check_heads, context_length, dropout_ratio, float_in, layer_count,
                           make_parser, model_width, nonnegative_float, on_device, positive_float,
                           positive_int, run_main)
from harness.memory import reuse_freed_memory
from harness.signals import StopSignals

VALID_MASK_SEED = 2019  # one fixed masking of PTB valid, the same for every evaluation


def bert_batch(sentences, vocab_size, context_size):
    """'[CLS] s [SEP]' rows padded with [PAD] -> (ids (N, T), maskable (N, T) bool: real words)."""
    special = special_ids(vocab_size)
    ids, _ = pad_sentences(sentences, special['[PAD]'], [special['[CLS]']], [special['[SEP]']],
                           context_size)
    return ids, ids < vocab_size


def epoch_batches(n_sentences, lengths, batch_size, rng):
    """Batches of sentence indices for one epoch: shuffled, then sorted by length within groups of
    50 batches (less padding), and the batches shuffled again."""
    order = rng.permutation(n_sentences)
    group = 50 * batch_size
    for start in range(0, n_sentences, group):
        chunk = order[start:start + group]
        order[start:start + group] = chunk[np.argsort(lengths[chunk], kind='stable')]
    batches = [order[k:k + batch_size] for k in range(0, n_sentences, batch_size)]
    return [batches[k] for k in rng.permutation(len(batches))]


def evaluate(model, batches):
    """Masked-token accuracy and perplexity over pre-masked (inputs, targets) batches (test mode),
    on the device of the batches (the model's)."""
    correct, total, nll = 0, 0, 0.0
    for inputs, targets in batches:
        scores = model.predict_masked(inputs, targets).astype(np.float64)
        gold = targets[targets != IGNORE]
        correct += int((scores.argmax(axis=1) == gold).sum())
        nll -= float(log_softmax(scores)[array_module(scores).arange(len(gold)), gold].sum())
        total += len(gold)
    return correct / total, float(np.exp(nll / total))


def main(argv=None):
    """Returns ``{'steps': [...], 'valid_accuracy': [...], 'valid_ppl': [...], 'train_loss': [...]}``."""
    parser = make_parser(__doc__, epochs=20, batch_size=64, lr=1e-3, seed=1984, save=None, load=None,
                         plot=None, gpu=False)
    parser.add_argument('--d-model', type=model_width, default=128, help='model width D')
    parser.add_argument('--num-heads', type=model_width, default=4, help='attention heads')
    parser.add_argument('--num-layers', type=layer_count, default=2, help='Transformer blocks')
    parser.add_argument('--d-ff', type=model_width, default=512, help='feed-forward width')
    parser.add_argument('--context-size', type=context_length, default=96,
                        help='longest input ([CLS] + words + [SEP]); longer sentences are cut')
    parser.add_argument('--dropout', type=dropout_ratio, default=0.1, help='dropout ratio (0: none)')
    parser.add_argument('--weight-decay', type=nonnegative_float, default=0.01, help='AdamW weight decay (0: none)')
    parser.add_argument('--warmup', type=positive_int, default=300, help='warm-up steps')
    parser.add_argument('--max-grad', type=positive_float, default=1.0, help='clip gradients to this norm')
    parser.add_argument('--mask-prob', type=float_in(0.0, 1.0, low_open=True, high_open=True),
                        default=0.15, help='share of the words chosen for the loss')
    parser.add_argument('--eval-interval', type=positive_int, default=200,
                        help='evaluate on valid and save every this many steps')
    parser.add_argument('--max-steps', type=positive_int,
                        help='stop (evaluate and save) once the run has made this many steps in all')
    parser.add_argument('--max-sentences', type=positive_int, help='train on the first N sentences only')
    parser.add_argument('--eval-sentences', type=positive_int, help='evaluate on the first N valid sentences')
    args = parser.parse_args(argv)
    reuse_freed_memory()  # every step allocates the same large arrays again: keep their pages
    check_heads(parser, args.d_model, args.num_heads)

    train = load_sentences('train')[:args.max_sentences]
    valid = load_sentences('valid')[:args.eval_sentences]
    vocab_size = 10000
    config = {key: getattr(args, key) for key in (
        'd_model', 'num_heads', 'num_layers', 'd_ff', 'context_size', 'dropout', 'batch_size',
        'mask_prob', 'max_sentences', 'epochs', 'lr', 'warmup', 'weight_decay', 'seed')}
    rng = np.random.default_rng(args.seed)
    model = BertEncoder(vocab_size, args.context_size, args.d_model, args.num_heads, args.num_layers,
                        args.d_ff, args.dropout, rng=rng)
    model = on_device(model, args.gpu)
    optimizer = AdamW(args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = -(-len(train) // args.batch_size)
    schedule = WarmupCosineSchedule(args.lr, min(args.warmup, args.epochs * steps_per_epoch),
                                    args.epochs * steps_per_epoch)
    curve = {'steps': [], 'valid_accuracy': [], 'valid_ppl': [], 'train_loss': [], 'cpu_s': [], 'wall_s': []}
    if args.load:
        try:
            load_run(args.load, model, optimizer, schedule, rng, curve, config)
        except (OSError, ValueError) as error:  # a missing, damaged or foreign file: one line
            raise SystemExit(str(error)) from None

    mask_rng = np.random.default_rng(VALID_MASK_SEED)
    valid_batches = []
    for start in range(0, len(valid), 100):
        ids, maskable = bert_batch(valid[start:start + 100], vocab_size, args.context_size)
        inputs, targets = mask_tokens(ids, maskable, vocab_size, mask_rng, args.mask_prob)
        valid_batches.append((as_model_device(model, inputs), as_model_device(model, targets)))

    lengths = np.array([len(s) for s in train])
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    offset_wall, offset_cpu = (curve['wall_s'][-1], curve['cpu_s'][-1]) if curve['steps'] else (0.0, 0.0)
    losses = []
    total_steps = args.epochs * steps_per_epoch
    stop_at = min(total_steps, args.max_steps or total_steps)
    with StopSignals() as signals:  # SIGTERM stops like Ctrl-C; never in the middle of a save
        try:
            while schedule.steps_done < stop_at:
                epoch, step_in_epoch = divmod(schedule.steps_done, steps_per_epoch)
                batches = epoch_batches(len(train), lengths, args.batch_size,
                                        np.random.default_rng([args.seed, epoch]))
                for batch in batches[step_in_epoch:]:
                    ids, maskable = bert_batch([train[k] for k in batch], vocab_size, args.context_size)
                    inputs, targets = mask_tokens(ids, maskable, vocab_size,
                                                  np.random.default_rng([args.seed, schedule.steps_done]),
                                                  args.mask_prob)
                    if not (targets != IGNORE).any():
                        schedule.step(optimizer)
                        continue
                    inputs, targets = as_model_device(model, inputs), as_model_device(model, targets)
                    loss = model.forward(inputs, targets, train_flg=True)
                    if not np.isfinite(loss):
                        raise SystemExit(f'training stopped at step {schedule.steps_done + 1}: the loss '
                                         f'is {loss}; the last checkpoint is left as it was')
                    losses.append(loss)
                    model.backward()
                    clip_grads(model.grads, args.max_grad)
                    schedule.step(optimizer)
                    optimizer.update(model.params, model.grads)
                    done = schedule.steps_done
                    if done % args.eval_interval == 0 or done == stop_at:
                        accuracy, ppl = evaluate(model, valid_batches)
                        for key, value in (('steps', done), ('valid_accuracy', accuracy), ('valid_ppl', ppl),
                                           ('train_loss', float(np.mean(losses))),
                                           ('cpu_s', offset_cpu + time.process_time() - start_cpu),
                                           ('wall_s', offset_wall + time.perf_counter() - start_wall)):
                            curve[key].append(value)
                        losses = []
                        if not args.quiet:
                            print(f'| epoch {epoch + 1} | step {done:5d} / {total_steps} '
                                  f'| lr {optimizer.lr:.2e} | train loss {curve["train_loss"][-1]:.3f} '
                                  f'| valid masked accuracy {100 * accuracy:.2f}% | valid perplexity '
                                  f'{ppl:.1f} | cpu {curve["cpu_s"][-1]:.0f}[s] '
                                  f'| wall {curve["wall_s"][-1]:.0f}[s]', flush=True)
                        if args.save:  # the parameters and the state beside them: one unit
                            with signals.deferred():
                                save_run(args.save, model, optimizer, schedule, rng, curve, config)
                    if done == stop_at:
                        break
        except KeyboardInterrupt as stop:  # Ctrl-C or SIGTERM (harness.signals.Stopped)
            kept = f'the last checkpoint {args.save!r} is kept' if args.save else 'nothing was saved'
            print(f'\ninterrupted at step {schedule.steps_done}: {kept}; continue with --load',
                  file=sys.stderr)
            raise SystemExit(getattr(stop, 'exit_status', 130)) from None

    if args.plot and curve['steps']:
        plot_curves({'masked-token accuracy (PTB valid)': (curve['steps'], curve['valid_accuracy'])},
                    xlabel='training step', ylabel='accuracy', path=args.plot, marker='o')
    if curve['steps']:
        print(f'valid masked-token accuracy {100 * curve["valid_accuracy"][-1]:.2f}%, '
              f'perplexity {curve["valid_ppl"][-1]:.1f} after {curve["steps"][-1]} steps '
              f'({curve["cpu_s"][-1]:.0f} s CPU, {curve["wall_s"][-1]:.0f} s wall)')
    return curve


def save_run(path, model, optimizer, schedule, rng, curve, config):
    """Parameters to ``path``; optimizer moments, schedule step, rng state and curve beside it."""
    meta = {'config': config, 'curve': curve, 'steps_done': schedule.steps_done,
            'adam_iter': optimizer.iter, 'rng': rng.bit_generator.state}
    arrays = {'meta': np.array(json.dumps(meta))}
    for name, m, v in zip(model.param_names, optimizer.m, optimizer.v):
        arrays['m/' + name], arrays['v/' + name] = to_cpu(m), to_cpu(v)
    atomic_savez(state_path(path), arrays)
    model.save_params(path)


def load_run(path, model, optimizer, schedule, rng, curve, config):
    """Resume a run saved by ``save_run`` (or only load parameters when no state file is beside)."""
    model.load_params(path)
    if not os.path.exists(state_path(path)):
        return
    with np.load(state_path(path), allow_pickle=False) as saved:
        meta = json.loads(str(saved['meta']))
        if meta['config'] != config:
            differences = {k: (meta['config'].get(k), v) for k, v in config.items() if meta['config'].get(k) != v}
            raise SystemExit(f'{path!r} was trained with other settings (saved, now): {differences}; '
                             'use the same flags to resume')
        optimizer.m = [as_model_device(model, saved['m/' + name]) for name in model.param_names]
        optimizer.v = [as_model_device(model, saved['v/' + name]) for name in model.param_names]
    optimizer.iter = meta['adam_iter']
    schedule.steps_done = meta['steps_done']
    rng.bit_generator.state = meta['rng']
    curve.update(meta['curve'])


if __name__ == '__main__':
    run_main(main)
