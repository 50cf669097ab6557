"""Generate text with a trained BetterRnnlm (book section 7.1, generate_better_text.py).

    python -m ch06_lstm.train_better_rnnlm --save better_rnnlm.npz   (once: hours on a CPU)
    python -m ch07_seq2seq.generate_better_text --load better_rnnlm.npz --seed 1

First a text that starts from 'you', then one that continues the prompt 'the meaning of life is'
(the model reads the prompt, then writes on).  'N', '<unk>' and '$' are never drawn.
"""
from ch07_seq2seq.generation_cli import (add_sampling_flags, language_model_parser, load_language_model,
                                         texts_from_start_and_prompt)
from dataset.ptb import load_data
from harness.flags import run_main


def main(argv=None):
    """Returns the two generated texts."""
    parser = language_model_parser(__doc__, sampling=False, seed=None)
    add_sampling_flags(parser, prompt=True)
    args = parser.parse_args(argv)

    _, word_to_id, id_to_word = load_data('train')
    model = load_language_model('better', args, len(word_to_id))
    return texts_from_start_and_prompt(parser, model, args, word_to_id, id_to_word)


if __name__ == '__main__':
    run_main(main)
