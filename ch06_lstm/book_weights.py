"""The book's trained language models, its ``Rnnlm.pkl`` and ``BetterRnnlm.pkl``, read into ours.

The files are pickles; they are read by ``common.book_params``, which admits NumPy arrays and
nothing else (a pickle that names any other global is refused before it runs).  The two are told
apart by their contents: Rnnlm's list holds 6 arrays, BetterRnnlm's 9.
"""
from ch06_lstm.better_rnnlm import BetterRnnlm
from ch06_lstm.rnnlm import Rnnlm
from common.book_params import describe_shapes, read_book_arrays

BOOK_ARRAYS = {6: 'Rnnlm', 9: 'BetterRnnlm'}  # number of arrays in the book's file -> its model


def load_book_language_model(path, rnnlm_class=Rnnlm, better_class=BetterRnnlm):
    """The book's trained model in ``path`` as our ``rnnlm_class`` or ``better_class`` (a class
    that adds methods to Rnnlm or BetterRnnlm, such as chapter 7's generators), built with the
    sizes the arrays give and loaded by ``BaseModel.assign_book_arrays`` (every shape checked).

    ValueError (one line naming the file): not a pickle of arrays, a list of another length, or
    arrays of shapes that do not make the model.
    """
    arrays = read_book_arrays(path)
    origin = repr(str(path))
    kind = BOOK_ARRAYS.get(len(arrays))
    if kind is None or arrays[0].ndim != 2 or arrays[2].ndim != 2:
        raise ValueError(f'{origin} holds {len(arrays)} arrays of shapes {describe_shapes(arrays)}; the '
                         "book's Rnnlm.pkl holds 6 and its BetterRnnlm.pkl 9: it is not a language model "
                         'of the book')
    vocab_size, wordvec_size = arrays[0].shape
    hidden_size = arrays[2].shape[0]  # the first LSTM's Wh: (H, 4H)
    model_class = rnnlm_class if kind == 'Rnnlm' else better_class
    model = model_class(vocab_size, wordvec_size, hidden_size)
    model.assign_book_arrays(arrays, origin)
    return model
