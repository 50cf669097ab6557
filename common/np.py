"""The book's ``common.np`` (NumPy or CuPy, chosen at import time by ``config.GPU``) has no place
here: a layer asks ``common.backend.array_module(*arrays)`` for the module that owns its arrays, so
one program runs on the host and on the GPU.  Importing this module says so; see
docs/from_the_book.md.
"""
raise ImportError("common.np (the book's NumPy-or-CuPy module) does not exist here: use numpy, and "
                  'common.backend.array_module(x) where code must follow an array onto the GPU '
                  '(model.to_gpu()). See docs/from_the_book.md')
