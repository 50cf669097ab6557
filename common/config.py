"""The book's ``common.config`` (its switch ``GPU = True``) has no place here: there is no global
GPU switch.  A model runs where its parameters are: ``model.to_gpu()`` moves it to CuPy (the
training scripts' ``--gpu`` does that), and every layer follows its arrays
(``common.backend.array_module``).  Importing this module says so; see docs/from_the_book.md.
"""
raise ImportError("common.config (the book's GPU switch) does not exist here: call model.to_gpu() "
                  '(or pass --gpu to a training script); every layer follows its parameters. '
                  'See docs/from_the_book.md')
