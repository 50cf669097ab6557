"""Train the two-layer net on the spiral data with ``Trainer`` (book chapter 1, train.py).

    python -m ch01_nn.train --plot loss.png --boundary-plot boundary.png

Book settings: hidden size 10, SGD with learning rate 1.0, batch size 30, 300 epochs; the loss
falls from 1.10 to about 0.1.
"""
from ch01_nn.spiral_script import parse_spiral_args, report, spiral_data_and_model
from common.optimizer import SGD
from common.trainer import Trainer
from harness.checkpoint import CHECKPOINT_HELP, start_checkpoint
from harness.flags import run_main


def main(argv=None):
    """Returns ``(model, loss_list)``: the trained TwoLayerNet and the recorded mean losses."""
    parser, args = parse_spiral_args(__doc__ + '\n' + CHECKPOINT_HELP, argv, resumable=True)
    x, t, model, rng = spiral_data_and_model(args)

    trainer = Trainer(model, SGD(lr=args.lr), rng=rng, verbose=not args.quiet)
    checkpoint = start_checkpoint(args, trainer, interrupt_name='spiral_interrupted.npz')
    with checkpoint:
        trainer.fit(x, t, max_epoch=checkpoint.epochs_left(args.epochs), batch_size=args.batch_size,
                    eval_interval=args.eval_interval, observers=[checkpoint])

    report(parser, args, model, x, t, trainer.loss_list, trainer.history_steps)
    return model, trainer.loss_list


if __name__ == '__main__':
    run_main(main)
