"""BaseModel: the parameters of a stack of layers, tied weights, and named ``.npz`` checkpoints."""
import json

import numpy as np

from common.backend import array_module, to_cpu, to_gpu
from common.npz_file import atomic_savez, read_npz
from common.placement import move_arrays


class BaseModel:
    """A model built from layers: ``params``/``grads`` lists, ``save_params``/``load_params``.

    Subclasses build their layers and call ``self.collect_params(layers)`` once.  That gathers
    every layer's parameters in order, gives each a readable name (``'02.TimeLSTM.Wx'``), and finds
    shared (tied) weights once: a parameter that is the same array as an earlier one, or its
    transpose view (``Affine(embed_W.T, b)`` in weight tying), is listed only once, and
    ``sum_tied_grads()`` (called by the subclass at the end of ``backward``) writes the sum of the
    gradients of all its uses into its entry of ``grads``, exactly once per step.
    """
    params = ()
    grads = ()
    param_names = ()
    config = None  # a model whose shapes do not tell its whole configuration sets a JSON-able dict

    def collect_params(self, layers):
        self.params, self.grads, self.param_names = [], [], []
        self._tied = {}  # index of a shared parameter -> [(gradient of one use, transposed?), ...]
        for layer_index, layer in enumerate(layers):
            names = getattr(layer, 'param_names', None) or [f'p{i}' for i in range(len(layer.params))]
            for name, param, grad in zip(names, layer.params, layer.grads):
                kept = self._find_shared(param)
                if kept is None:
                    self.params.append(param)
                    self.grads.append(grad)
                    self.param_names.append(f'{layer_index:02d}.{type(layer).__name__}.{name}')
                    continue
                uses = self._tied.setdefault(kept, [(self.grads[kept], False)])
                uses.append((grad, param is not self.params[kept]))
        for kept in self._tied:
            # The sum gets a buffer of its own, rewritten whole every step: a layer may rewrite
            # only part of its own gradient (Embedding touches only the rows it used).
            self.grads[kept] = array_module(self.params[kept]).zeros_like(self.params[kept])

    def _find_shared(self, param):
        for index, kept in enumerate(self.params):
            if param is kept:
                return index
            is_view = param.base is kept or kept.base is param
            if is_view and param.shape == kept.shape[::-1]:
                return index
        return None

    def sum_tied_grads(self):
        """Write into each shared parameter's gradient the sum of the gradients of all its uses."""
        for kept, uses in self._tied.items():
            total = self.grads[kept]
            (first, first_transposed), *others = uses
            total[...] = first.T if first_transposed else first
            for grad, transposed in others:
                total += grad.T if transposed else grad

    def to_gpu(self):
        """Move every parameter, gradient and carried state to the GPU (CuPy); returns the model.

        Build the model first (its weights come from the seeded NumPy Generator on the host),
        then move it: tied weights stay tied and shared arrays stay shared
        (``common.placement.move_arrays``).  Optimizer state created afterwards follows the
        parameters.  RuntimeError (from ``common.backend.device_module``) when CuPy is missing
        or no device is visible.
        """
        return move_arrays(self, to_gpu)

    def to_cpu(self):
        """Move every array of the model back to the host (NumPy); returns the model."""
        return move_arrays(self, to_cpu)

    def save_params(self, path):
        """Write the parameters to ``path`` (``.npz``: one named array each, plus the model class
        and, when the model has one, its ``config`` as JSON).

        The file is written to a temporary file beside ``path`` and renamed over it only when
        complete, so an interrupted save never corrupts an existing checkpoint.
        """
        arrays = {name: to_cpu(p) for name, p in zip(self.param_names, self.params)}
        arrays['__model__'] = np.array(type(self).__name__)
        if self.config is not None:
            arrays['__config__'] = np.array(json.dumps(self.config))
        atomic_savez(path, arrays)

    def load_params(self, path):
        """Read parameters saved by ``save_params`` into this model's arrays (in place).

        Every array is checked (name, shape) before any is written, so a wrong file leaves the
        model untouched and the error names the mismatched array, or the setting of ``config``
        that differs (a number of heads, say, which no shape shows).
        """
        arrays = read_checkpoint(path)
        saved_model = str(arrays.pop('__model__', '?'))
        origin = f'{path!r} (saved from {saved_model})'
        if not _same_kind(saved_model, type(self)):
            raise ValueError(f'{path!r} is a checkpoint of {saved_model}, not of {type(self).__name__}: '
                             'load it into a model of that class')
        saved_config = json.loads(str(arrays.pop('__config__', 'null')))
        if self.config is not None and saved_config is not None:
            differences = [f'{key}: saved {saved_config.get(key)!r}, this model {value!r}'
                           for key, value in self.config.items() if saved_config.get(key) != value]
            if differences:
                raise ValueError(f'{origin} does not fit this {type(self).__name__}: it was saved with '
                                 f'other settings ({"; ".join(differences)})')
        missing = [n for n in self.param_names if n not in arrays]
        if missing:
            raise ValueError(f'{origin} does not fit {type(self).__name__}: it has no array '
                             f'{missing[0]!r}; it holds {sorted(arrays)}')
        extra = sorted(set(arrays) - set(self.param_names))
        if extra:
            raise ValueError(f'{origin} does not fit {type(self).__name__}: unexpected array {extra[0]!r}')
        for name, param in zip(self.param_names, self.params):
            if arrays[name].shape != param.shape:
                raise ValueError(f'{origin} does not fit {type(self).__name__}: array {name!r} has '
                                 f'shape {arrays[name].shape}, the model expects {param.shape}')
        for name, param in zip(self.param_names, self.params):
            param[...] = array_module(param).asarray(arrays[name], dtype=param.dtype)


def _same_kind(saved_name, model_class):
    """Whether a checkpoint saved from the class named ``saved_name`` belongs to ``model_class``:
    the same class, one of its bases, or one of its subclasses (RnnlmGen loads Rnnlm's files and
    back).  A file without a class name ('?', written by hand) is judged by its arrays alone."""
    if saved_name == '?':
        return True
    saved_name = saved_name.rsplit('.', 1)[-1]  # 'ch06_lstm.rnnlm.Rnnlm' -> 'Rnnlm'
    family = {cls.__name__ for cls in (*model_class.__mro__, *_descendants(model_class))}
    return saved_name in family


def _descendants(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _descendants(subclass)


def read_checkpoint(path):
    """All arrays of a ``.npz`` checkpoint (read without pickle) -> {name: array}.

    FileNotFoundError when ``path`` does not exist, ValueError (one line naming the file and the
    problem) when it is not a readable ``.npz`` file: see ``common.npz_file.read_npz``.
    """
    return read_npz(path, 'checkpoint')
