"""Generate text with a trained GPT (beyond the book; chapter 7's generate_better_text for the GPT).

    python -m ch09_transformer.train_gpt --save gpt.npz      (once)
    python -m ch09_transformer.generate_gpt --load gpt.npz --seed 1

First a text that starts from --start, then one that continues --prompt; 'N', '<unk>' and '$'
are never drawn.  --temperature, --top-k and --greedy change how the words are drawn (as in
chapter 7).  The model's sizes are read from the checkpoint.
"""
from ch07_seq2seq.generation_cli import add_sampling_flags, texts_from_start_and_prompt
from ch09_transformer.gpt_gen import GPTGen
from dataset.ptb import load_data
from harness.flags import load_or_exit, make_parser, require_checkpoint, run_main


def main(argv=None):
    """Returns the two generated texts."""
    parser = make_parser(__doc__, seed=None)
    parser.add_argument('--load', default='gpt.npz', help='checkpoint written by train_gpt --save')
    add_sampling_flags(parser, prompt=True)
    args = parser.parse_args(argv)

    require_checkpoint(args.load, 'ch09_transformer.train_gpt')
    _, word_to_id, id_to_word = load_data('train')
    model = load_or_exit(GPTGen.from_checkpoint, args.load)
    return texts_from_start_and_prompt(parser, model, args, word_to_id, id_to_word)


if __name__ == '__main__':
    run_main(main)
