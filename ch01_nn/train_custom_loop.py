"""Train the two-layer net on the spiral data with a hand-written loop (book chapter 1).

    python -m ch01_nn.train_custom_loop --plot loss.png --boundary-plot boundary.png

The loop ``Trainer`` hides, spelled out: shuffle every epoch, cut mini-batches, forward,
backward, update, and record (print) the mean loss every ``--eval-interval`` iterations and at
the end of each epoch.  With the same seed it gives exactly the losses of ch01_nn.train.
``TrainingRun`` calls the epoch once per epoch: with --save it writes a checkpoint after each
one (and on Ctrl-C or SIGTERM), which --load resumes exactly.
"""
from ch01_nn.spiral_script import parse_spiral_args, report, spiral_data_and_model, start_run
from common.backend import as_model_device, as_module_of
from common.optimizer import SGD
from harness.checkpoint import LoopState
from harness.flags import run_main


def main(argv=None):
    """Returns ``(model, loss_list)``: the trained TwoLayerNet and the recorded mean losses."""
    args = parse_spiral_args(__doc__, argv)
    x, t, model, rng = spiral_data_and_model(args)
    x_data, t_data = as_model_device(model, x), as_model_device(model, t)  # host or GPU, as --gpu says
    loop = LoopState(SGD(lr=args.lr))  # the optimizer and loss list, saved with each epoch
    run = start_run(args, model, loop, rng)
    optimizer, loss_list = loop.optimizer, loop.history

    data_size = len(x)
    max_iters = max(data_size // args.batch_size, 1)

    def one_epoch():
        total_loss, loss_count = 0.0, 0
        order = as_module_of(x_data, rng.permutation(data_size))  # drawn on the host, then moved
        x_shuffled, t_shuffled = x_data[order], t_data[order]
        for iteration in range(max_iters):
            batch = slice(iteration * args.batch_size, (iteration + 1) * args.batch_size)
            loss = model.forward(x_shuffled[batch], t_shuffled[batch])
            model.backward()
            optimizer.update(model.params, model.grads)
            total_loss += loss
            loss_count += 1
            if (iteration + 1) % args.eval_interval == 0 or iteration + 1 == max_iters:
                loss_list.append(total_loss / loss_count)
                total_loss, loss_count = 0.0, 0
                if not args.quiet:
                    print(f'| epoch {run.epoch + 1} |  iter {iteration + 1} / {max_iters} '
                          f'| loss {loss_list[-1]:.2f}')

    run.train(args.epochs, one_epoch, save_path=args.save, interrupt_path='spiral_interrupted.npz')
    report(args, model, x, t, loss_list)
    return model, loss_list


if __name__ == '__main__':
    run_main(main)
