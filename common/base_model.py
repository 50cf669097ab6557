"""BaseModel: the parameters of a stack of layers, tied weights, and self-describing ``.npz``
checkpoints that ``load_model`` rebuilds from the file alone.

A checkpoint holds one named array per parameter ('01.TimeLSTM.Wh') and the model record
'__model__', a JSON string: {"class": "ch06_lstm.rnnlm.Rnnlm", "config": {"vocab_size": 10000,
"wordvec_size": 100, "hidden_size": 100, "cell": "lstm"}}: the class, and the constructor
arguments the model gave ``keep_config`` (null for a model that records none).  A file may hold
more: the checkpoint of a training run (``harness.checkpoint``) adds the record '__run__' and
arrays named 'run/...', which ``load_params`` and ``load_model`` do not read; what a model keeps
with its parameters (``BaseModel.attach``: the vocabulary its input ids belong to) is saved under
'attached/...'.
"""
import inspect
import json
import os
from types import MappingProxyType

import numpy as np

from common.backend import array_module, to_cpu, to_gpu
from common.book_params import describe_shapes, read_book_arrays
from common.npz_file import NpzReader, atomic_savez, read_npz
from common.placement import move_arrays

MODEL_RECORD = '__model__'
RUN_RECORD = '__run__'  # what a training run's checkpoint adds (with arrays under 'run/')
ATTACHED_PREFIX = 'attached/'  # the arrays a model keeps with its parameters (``BaseModel.attach``)


class BaseModel:
    """A model built from layers: ``params``/``grads`` lists, ``save_params``/``load_params``.

    Subclasses build their layers and call ``self.collect_params(layers)`` once.  That gathers
    every layer's parameters in order, gives each a readable name (``'02.TimeLSTM.Wx'``), and finds
    shared (tied) weights once: a parameter that is the same array as an earlier one, or its
    transpose view (``Affine(embed_W.T, b)`` in weight tying), is listed only once, and
    ``sum_tied_grads()`` (called by the subclass at the end of ``backward``) writes the sum of the
    gradients of all its uses into its entry of ``grads``, exactly once per step.

    ``save_params()`` and ``load_params()`` without a path use ``ClassName.npz``, as the book's use
    ``ClassName.pkl``; ``load_params('Rnnlm.pkl')`` reads the book's own file of the same model.
    """
    params = ()
    grads = ()
    param_names = ()
    _uses = ()  # (index in params, transposed?) of every layer's parameter, set by collect_params
    _config = None
    _attached = None
    free_settings = ()  # config keys a loaded file may differ in (training-only, such as dropout)

    def attach(self, **arrays):
        """Keep host arrays that belong with the parameters, such as the vocabulary the model's
        input ids are read in (``dataset.vocabulary.Vocabulary.to_arrays()``): ``save_params``
        writes each as 'attached/NAME', ``load_model`` gives them back (``attached``), and
        ``load_params`` refuses a file whose array NAME is missing or differs."""
        # A read-only mapping, which ``to_gpu`` does not search: attached arrays stay on the host.
        self._attached = MappingProxyType({**self.attached, **{name: to_cpu(a) for name, a in arrays.items()}})

    @property
    def attached(self):
        """{name: array} given to ``attach`` (a copy of the dict; empty when nothing was attached)."""
        return dict(self._attached or {})

    def keep_config(self, **arguments):
        """Record the constructor arguments that rebuild this model: sizes, cell, dropout settings
        (JSON values; not rng or dtype). ``save_params`` writes them into the checkpoint and
        ``load_model`` calls ``type(self)(**arguments, dtype=...)`` with them; ``load_params``
        refuses a file saved with other values (a number of heads, say, which no shape shows),
        except for the keys in the class's ``free_settings``. Called in ``__init__``; a subclass
        with other arguments calls it again after ``super().__init__``.
        """
        arguments = {k: v.item() if isinstance(v, np.generic) else v for k, v in arguments.items()}
        try:
            json.dumps(arguments)
        except TypeError as error:
            raise TypeError(f'{type(self).__name__}.keep_config takes JSON values (numbers, strings, '
                            f'booleans, None, lists, dicts): {error}') from None
        self._config = arguments

    def config(self):
        """The arguments given to ``keep_config`` -> dict (a copy), or None if none were recorded."""
        return None if self._config is None else dict(self._config)

    def collect_params(self, layers):
        self.params, self.grads, self.param_names = [], [], []
        self._tied = {}  # index of a shared parameter -> [(gradient of one use, transposed?), ...]
        self._uses = []
        for layer_index, layer in enumerate(layers):
            names = getattr(layer, 'param_names', None) or [f'p{i}' for i in range(len(layer.params))]
            for name, param, grad in zip(names, layer.params, layer.grads):
                kept = self._find_shared(param)
                if kept is None:
                    self._uses.append((len(self.params), False))
                    self.params.append(param)
                    self.grads.append(grad)
                    self.param_names.append(f'{layer_index:02d}.{type(layer).__name__}.{name}')
                    continue
                transposed = param is not self.params[kept]
                self._uses.append((kept, transposed))
                uses = self._tied.setdefault(kept, [(self.grads[kept], False)])
                uses.append((grad, transposed))
        for kept in self._tied:
            # The sum gets a buffer of its own, rewritten whole every step: a layer may rewrite
            # only part of its own gradient (a row-sparse embedding writes only the rows it used).
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

    @classmethod
    def from_checkpoint(cls, path, dtype=None):
        """``load_model(path, (cls,), dtype)``: the model saved at ``path``, rebuilt from the file as
        this class (or the recorded subclass of it)."""
        return load_model(path, (cls,), dtype)

    def default_params_path(self):
        """'ClassName.npz' (in the current folder): where save_params and load_params go without a path."""
        return f'{type(self).__name__}.npz'

    def save_params(self, path=None):
        """Write the parameters to ``path`` (``.npz``: one named array each, plus the model record);
        without a path, to ``ClassName.npz``.

        The file is written to a temporary file beside ``path`` and renamed over it only when
        complete, so an interrupted save never corrupts an existing checkpoint.
        """
        if path is None:
            path = self.default_params_path()
        atomic_savez(path, self.arrays_to_save())

    def arrays_to_save(self, params=None):
        """{parameter name: host array} of ``params`` (default: the model's own, in the order of
        ``self.params``) and the model record: what ``save_params`` writes."""
        params = self.params if params is None else params
        arrays = {name: to_cpu(p) for name, p in zip(self.param_names, params)}
        arrays.update({ATTACHED_PREFIX + name: array for name, array in self.attached.items()})
        record = {'class': class_path(type(self)), 'config': self.config()}
        arrays[MODEL_RECORD] = np.array(json.dumps(record))
        return arrays

    def load_params(self, path=None):
        """Read parameters saved by ``save_params`` into this model's arrays (in place); without a
        path, from ``ClassName.npz``.  A path ending in ``.pkl`` is the book's own file of this
        model (``Rnnlm.pkl``), read by ``load_book_params``.

        Every array is checked (name, shape) before any is written, so a wrong file leaves the
        model untouched and the error names the mismatched array, or the recorded setting that
        differs from this model's ``config()`` (keys of ``free_settings`` may differ).
        """
        if path is None:
            path = self.default_params_path()
        if os.fspath(path).endswith('.pkl'):
            self.load_book_params(path)
            return
        with NpzReader(path) as reader:
            record = read_model_record(reader)
            if not _same_kind(record['class'], type(self)):
                raise ValueError(f'{os.fspath(path)!r} is a checkpoint of {record["class"].rsplit(".", 1)[-1]}, '
                                 f'not of {type(self).__name__}: load it into a model of that class')
            origin = f'{os.fspath(path)!r} (saved from {record["class"]})'
            self.check_params_fit(_model_members(reader), origin, record['config'])
            self.check_attached(_attached_members(reader), repr(os.fspath(path)))
            arrays = {name: reader.read(name) for name in self.param_names}
        self.assign_params(arrays, origin)

    def check_attached(self, saved, origin):
        """ValueError (one line, naming ``origin``) unless ``saved`` {name: array} holds every
        array attached to this model, equal to it."""
        for name, mine in self.attached.items():
            if name not in saved:
                raise ValueError(f'{origin} holds no {name!r}: this {type(self).__name__} reads its inputs '
                                 f'with the {name} attached to it, and the file was saved without one')
            if saved[name].shape != mine.shape or not np.array_equal(saved[name], mine):
                raise ValueError(f'{origin} was saved with another {name} ({saved[name].shape[0]} entries) '
                                 f'than the one this {type(self).__name__} reads its inputs with '
                                 f'({mine.shape[0]} entries)')

    def load_book_params(self, path):
        """Read the book's parameter file ``path`` (``common.book_params.read_book_arrays``) into
        this model's arrays (in place), cast from the file's float16 to the parameters' dtype.

        The book's ``save_params`` pickles its ``model.params``: every layer's parameters in the
        order of the layers, so a tied weight is there once for each layer that uses it (in
        BetterRnnlm the output layer's W, saved as its own array, the embedding transposed).
        ``book_layout()`` says where each of the file's arrays goes.  Every array's shape is
        checked before any is written, and every extra copy of a tied weight must equal the first
        (within float16 rounding); then it is dropped.  ValueError, one line naming the file, for
        a file of another model or size: the expected and found shapes.
        """
        self.assign_book_arrays(read_book_arrays(path), repr(os.fspath(path)))

    def book_layout(self):
        """Where each array of the book's file of this model goes -> [(index in params, transposed?)].

        By default the order in which ``collect_params`` met the layers' parameters, a tied
        weight at each of its uses, which is the order of the book's ``model.params`` for the
        book's models; a model whose book file is ordered otherwise overrides this.
        """
        return list(self._uses)

    def assign_book_arrays(self, arrays, origin):
        """Copy the book's list of arrays into the parameters by ``book_layout()``, after checking
        the number of arrays, every shape and the tied copies; ``origin`` names the file in messages."""
        name, layout = type(self).__name__, self.book_layout()
        config = self.config()
        sizes = '' if not config else f', built with {", ".join(f"{k}={v!r}" for k, v in config.items())}'
        expected = [self.params[i].shape[::-1] if transposed else self.params[i].shape
                    for i, transposed in layout]
        if len(arrays) != len(layout):
            raise ValueError(f'{origin} holds {len(arrays)} arrays of shapes {describe_shapes(arrays)}; '
                             f'{name} expects {len(layout)}: {", ".join(map(str, expected))}: it is '
                             f'the file of another model')
        for number, (array, shape, (index, transposed)) in enumerate(zip(arrays, expected, layout)):
            if array.shape != shape:
                what = self.param_names[index] + (' transposed' if transposed else '')
                raise ValueError(f'{origin}: array {number} has shape {array.shape}, {name} expects '
                                 f'{shape} ({what}{sizes})')
        chosen = {}  # index in params -> (number in the file, array in the parameter's orientation)
        for number, (array, (index, transposed)) in enumerate(zip(arrays, layout)):
            array = array.T if transposed else array
            if index not in chosen:
                chosen[index] = number, array
                continue
            first, kept = chosen[index]
            if not np.allclose(array, kept, rtol=np.finfo(np.float16).eps, atol=0):
                difference = np.abs(array.astype(np.float32) - kept.astype(np.float32)).max()
                raise ValueError(f'{origin}: array {number} should be array {first}'
                                 f'{" transposed" if transposed else ""} ({name} ties these weights), '
                                 f'but they differ by up to {difference:.3g}: it is the file of a '
                                 f'model without tied weights')
        self.assign_params({self.param_names[index]: array for index, (_, array) in chosen.items()},
                           origin)

    def check_params_fit(self, shapes, origin, saved_config=None):
        """Check, before any array is read or written, that {param name: (shape, dtype)} (what a
        file's headers say) fits this model: every name there, no other, every shape equal, every
        dtype floating-point; and that ``saved_config`` (the recorded settings, if any) agrees with
        ``config()`` but for ``free_settings``.  ValueError naming ``origin`` and the array."""
        name_of = type(self).__name__
        arrays = {name: shape for name, shape in shapes.items() if not _is_record(name)}
        missing = [n for n in self.param_names if n not in arrays]
        if missing:
            raise ValueError(f'{origin} does not fit {name_of}: it has no array {missing[0]!r}; '
                             f'it holds {sorted(arrays)}')
        extra = sorted(set(arrays) - set(self.param_names))
        if extra:
            raise ValueError(f'{origin} does not fit {name_of}: unexpected array {extra[0]!r}')
        for name, param in zip(self.param_names, self.params):
            shape, dtype = arrays[name]
            if tuple(shape) != param.shape:
                raise ValueError(f'{origin} does not fit {name_of}: array {name!r} has shape '
                                 f'{tuple(shape)}, the model expects {param.shape}')
            if np.dtype(dtype).kind != 'f':
                raise ValueError(f'{origin}: array {name!r} has dtype {np.dtype(dtype)}; parameters '
                                 'are floating-point numbers')
        mine = self.config()
        if saved_config is not None and mine is not None:
            differences = [f'{key}: saved {saved_config.get(key)!r}, this model {value!r}'
                           for key, value in mine.items()
                           if key not in self.free_settings and saved_config.get(key) != value]
            if differences:
                raise ValueError(f'{origin} does not fit this {name_of}: it was saved with other '
                                 f'settings ({"; ".join(differences)})')

    def assign_params(self, arrays, origin, saved_config=None):
        """Copy {param name: array} into the parameters (in place), after checking them all
        (``check_params_fit``) and that every value is finite: a file with a NaN or infinite
        weight is refused, naming ``origin`` and the array, and the model is left untouched."""
        self.check_params_fit({n: (a.shape, a.dtype) for n, a in arrays.items()}, origin, saved_config)
        for name in self.param_names:
            if not np.isfinite(arrays[name]).all():
                raise ValueError(f'{origin}: array {name!r} holds NaN or infinite values (a diverged '
                                 'run?); refused')
        for name, param in zip(self.param_names, self.params):
            param[...] = array_module(param).asarray(arrays[name], dtype=param.dtype)


def _model_members(reader):
    """{name: (shape, dtype)} of the parameters an open checkpoint holds (not its records, not a
    training run's own arrays under 'run/')."""
    return {name: header for name, header in reader.headers.items()
            if not _is_record(name) and '/' not in name}


def _is_record(name):
    """Whether a checkpoint member is a record (a JSON string such as '__model__'), not a parameter."""
    return name.startswith('__')


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
    """The model's arrays and record of a ``.npz`` checkpoint (read without pickle) -> {name: array}
    (a training run's own arrays, under 'run/', are not read).

    FileNotFoundError when ``path`` does not exist, ValueError (one line naming the file and the
    problem) when it is not a readable ``.npz`` file (see ``common.npz_file.NpzReader``).
    """
    return read_npz(path, 'checkpoint', wanted=lambda name: name != RUN_RECORD and '/' not in name)


def read_attached(path):
    """The arrays saved with a model's parameters by ``BaseModel.attach`` -> {name: array} (empty
    when there are none); errors as ``read_checkpoint``."""
    with NpzReader(path) as reader:
        return _attached_members(reader)


def _attached_members(reader):
    return {name[len(ATTACHED_PREFIX):]: reader.read(name) for name in reader.members
            if name.startswith(ATTACHED_PREFIX)}


def class_path(cls):
    """'module.Class' of a class: what the model record names, e.g. 'ch06_lstm.rnnlm.Rnnlm'."""
    return f'{cls.__module__}.{cls.__qualname__}'


def read_model_record(reader):
    """The model record of an open checkpoint (``NpzReader``) -> {'class': 'module.Class' or a bare
    name, 'config': dict or None}.

    Files saved before the record held only the class name ('Rnnlm') in '__model__', and GPT's
    its sizes in '__config__'; they give {'class': 'Rnnlm', 'config': None} or {'class': 'GPT',
    'config': {...}}.  A file without '__model__' gives class '?'.  A record that is not of this
    form (no class, a config that is not a dict of JSON values) is a ValueError naming the file.
    """
    origin = f'checkpoint {reader.path!r}'
    if MODEL_RECORD not in reader.headers:
        return {'class': '?', 'config': None}
    entry = str(reader.read(MODEL_RECORD))
    try:
        record = json.loads(entry)
    except json.JSONDecodeError:
        record = None
    if not isinstance(record, dict):  # an older file: the bare class name
        legacy = reader.read('__config__') if '__config__' in reader.headers else None
        record = {'class': entry, 'config': None if legacy is None else json.loads(str(legacy))}
    if not isinstance(record.get('class'), str) or not record['class']:
        raise ValueError(f'{origin}: its model record names no class ({entry[:80]!r})')
    if record.get('config') is not None and not isinstance(record['config'], dict):
        raise ValueError(f'{origin}: its model record\'s config is not a dict of arguments '
                         f'({record["config"]!r:.80})')
    return {'class': record['class'], 'config': record.get('config')}


def _known_classes():
    """The model classes a record may name: the BaseModel subclasses this program has defined
    (imported) so far; never a class imported because a file names it."""
    known = {}
    for cls in _descendants(BaseModel):
        known.setdefault(class_path(cls), cls)
    return known


def load_model(path, classes=(BaseModel,), dtype=None):
    """Build the model that saved ``path`` from the class and arguments its record names, and load
    its parameters -> the model, in the dtype of the file.

    classes: the model classes the caller can use.  The recorded class is looked up among the model
    classes this program has defined (nothing is imported because a file names it); it is built when it is one of them or a subclass of one, otherwise the first of
    them that is a subclass of it (one that adds methods, as ch07's RnnlmGen does to Rnnlm).
    dtype: of the built model (default: that of the file's arrays).
    Before anything is built, the record's sizes are compared with the arrays' headers: a record
    whose sizes would build a model much larger than the file holds is refused (the product of any
    two of its integer arguments, a weight matrix, must fit in 4 times the numbers the file holds).
    ValueError (one line naming the file): no record of the arguments, a class this program does
    not know, a class that fits none of ``classes``, arguments the class does not take or cannot
    build with, sizes the file does not hold, a file that does not fit the built model.
    The arrays saved with the parameters (``BaseModel.attach``) are attached to the built model.
    """
    origin = f'{os.fspath(path)!r}'
    with NpzReader(path) as reader:
        record = read_model_record(reader)
        name, config = record['class'], record['config']
        if config is None:
            raise ValueError(f'{origin} holds the parameters of a {name} but no record of its constructor '
                             'arguments (it was saved before checkpoints recorded them, or the model does '
                             'not call keep_config). Build the model with the sizes it was trained with and '
                             f'call model.load_params({os.fspath(path)!r}); model.save_params then writes a '
                             'file with the record.')
        model_class = _fitting_class(_recorded_class(name, classes, origin), classes, origin)
        params = _model_members(reader)
        _check_sizes_against_file(config, params, origin)
        arguments = dict(config)
        signature = inspect.signature(model_class)
        if 'dtype' in signature.parameters and (dtype is not None or params):
            arguments['dtype'] = dtype if dtype is not None else next(iter(params.values()))[1]
        try:
            signature.bind(**arguments)
            model = model_class(**arguments)
        except (TypeError, ValueError) as error:
            raise ValueError(f'{origin}: the recorded arguments {config} do not build a '
                             f'{model_class.__name__}: {error}') from None
        origin = f'{origin} (saved from {name})'
        model.check_params_fit(params, origin)
        arrays = {n: reader.read(n) for n in model.param_names}
        attached = _attached_members(reader)
    model.assign_params(arrays, origin)
    if attached:
        model.attach(**attached)
    return model


def _check_sizes_against_file(config, params, origin):
    """ValueError unless the integer arguments of ``config`` could describe the arrays of
    ``params`` ({name: (shape, dtype)}): no negative size, and no two sizes whose product (a
    weight matrix) exceeds both 4 times the numbers the file holds and the product of the file's
    two largest array dimensions (a language model reading 30,000 words and predicting 5,000 holds
    far fewer than 30,000 x 5,000 numbers, but both sizes are dimensions of its arrays)."""
    sizes = sorted((value, key) for key, value in config.items()
                   if isinstance(value, int) and not isinstance(value, bool))
    negative = [key for value, key in sizes if value < 0]
    if negative:
        raise ValueError(f'{origin}: its record gives {negative[0]} = {config[negative[0]]}; sizes '
                         'cannot be negative')
    held = sum(int(np.prod(shape, dtype=np.int64)) for shape, _ in params.values())
    dimensions = sorted(int(size) for shape, _ in params.values() for size in shape)[-2:]
    largest_pair = int(np.prod(dimensions, dtype=np.int64)) if len(dimensions) == 2 else 0
    if len(sizes) >= 2 and sizes[-1][0] * sizes[-2][0] > max(4 * held + 1024, largest_pair):
        (a, key_a), (b, key_b) = sizes[-1], sizes[-2]
        raise ValueError(f'{origin}: its record gives {key_a} = {a:,} and {key_b} = {b:,}, a model far '
                         f'larger than the {held:,} numbers the file holds: refused before building it')


def _recorded_class(name, classes, origin):
    """The BaseModel subclass that a record names ('ch06_lstm.rnnlm.Rnnlm', or a bare 'Rnnlm' in
    older files), among the classes this program knows (``_known_classes``)."""
    known = _known_classes()
    if name in known:
        return known[name]
    by_bare_name = {cls.__name__: cls for cls in known.values()}
    if '.' not in name and name in by_bare_name:
        return by_bare_name[name]
    wanted = ', '.join(sorted({c.__name__ for c in classes}))
    raise ValueError(f'{origin} was saved by the class {name!r}, which is not a model this program '
                     f'loads ({wanted} or a kind of it); nothing is imported because a file names it')


def _fitting_class(recorded, classes, origin):
    """The class load_model builds for a file saved by ``recorded`` (see load_model)."""
    if any(issubclass(recorded, wanted) for wanted in classes):
        return recorded
    for wanted in classes:
        if issubclass(wanted, recorded):
            return wanted
    raise ValueError(f'{origin} holds a {recorded.__name__}, which is none of (and no base of) '
                     f'{", ".join(c.__name__ for c in classes)}')
