"""Train the two-layer net on the spiral data with a hand-written loop (book chapter 1,
train_custom_loop.py).

    python -m ch01_nn.train_custom_loop --plot loss.png --boundary-plot boundary.png

The loop that ``Trainer`` runs, spelled out: shuffle every epoch, cut mini-batches, forward,
backward, update, and record (print) the mean loss every ``--eval-interval`` iterations and at
the end of each epoch.  With the same seed it gives exactly the losses of ch01_nn.train.
"""
from ch01_nn.spiral_script import parse_spiral_args, report, spiral_data_and_model
from common.backend import as_model_device, as_module_of
from common.optimizer import SGD
from harness.flags import run_main


def main(argv=None):
    """Returns ``(model, loss_list)``: the trained TwoLayerNet and the recorded mean losses."""
    parser, args = parse_spiral_args(__doc__, argv)
    batch_size, max_epoch = args.batch_size, args.epochs
    x, t, model, rng = spiral_data_and_model(args)
    x_data, t_data = as_model_device(model, x), as_model_device(model, t)  # host or GPU, as --gpu says
    optimizer = SGD(lr=args.lr)

    data_size = len(x)
    max_iters = max(data_size // batch_size, 1)
    total_loss, loss_count = 0.0, 0
    loss_list, loss_iterations = [], []  # the mean losses, and the iterations they were taken at

    for epoch in range(max_epoch):
        # shuffle the data (the order is drawn on the host, then moved to the data's device)
        idx = as_module_of(x_data, rng.permutation(data_size))
        x_shuffled, t_shuffled = x_data[idx], t_data[idx]

        for iters in range(max_iters):
            batch_x = x_shuffled[iters * batch_size:(iters + 1) * batch_size]
            batch_t = t_shuffled[iters * batch_size:(iters + 1) * batch_size]

            # compute the gradients and update the parameters
            loss = model.forward(batch_x, batch_t)
            model.backward()
            optimizer.update(model.params, model.grads)

            total_loss += loss
            loss_count += 1

            # record (and print) the mean loss every eval_interval iterations and at the epoch's end
            if (iters + 1) % args.eval_interval == 0 or iters + 1 == max_iters:
                avg_loss = total_loss / loss_count
                if not args.quiet:
                    print(f'| epoch {epoch + 1} |  iter {iters + 1} / {max_iters} | loss {avg_loss:.2f}')
                loss_list.append(avg_loss)
                loss_iterations.append(epoch * max_iters + iters + 1)
                total_loss, loss_count = 0.0, 0

    report(parser, args, model, x, t, loss_list, loss_iterations)
    return model, loss_list


if __name__ == '__main__':
    run_main(main)
