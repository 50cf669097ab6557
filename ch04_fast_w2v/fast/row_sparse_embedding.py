"""An Embedding whose backward writes only the rows its forward used: the fast mode's tables.

The book's ``Embedding.backward`` clears the whole (V, D) gradient and adds every dout row to the
row of its id.  A batch of the fast mode uses a few thousand ids of PTB's 10,000, most of them
many times.  ``RowSparseEmbedding`` sums the dout rows by id first (``sum_rows_by_id``: one sort),
clears only the rows its previous backward wrote, writes the new ones, and says which rows those
are, so that the optimizers of ``ch04_fast_w2v.fast.sparse_optimizer`` update them alone.
"""
from common.backend import array_module
from common.checks import needs_forward
from common.layers import Embedding


class RowSparseEmbedding(Embedding):
    """out = W[idx], as ``Embedding``; backward writes only the rows of the ids of the last forward.

    idx: int array of any shape -> out: idx.shape + (D,), with W: (V, D).
    Backward: dW[v] = sum of the dout rows whose id is v, for the ids v of idx; the rows the
    previous backward wrote are set to 0 first, so dW is the same as ``Embedding``'s as long
    as nothing else writes into it.  One step costs O(len(idx) D), not O(V D).
    After backward:
    - ``touched_rows``: (U,) the sorted distinct ids, the only rows of dW that can be nonzero;
    - ``row_counts``: (U,) how many of the ids each one was;
    - ``rows_gathered``: len(idx.reshape(-1)), the number of rows the forward gathered.
    """

    def __init__(self, W):
        super().__init__(W)
        self.touched_rows = None
        self.row_counts = None
        self.rows_gathered = None

    @needs_forward('idx')
    def backward(self, dout):
        dW, = self.grads
        if self.touched_rows is not None:
            dW[self.touched_rows] = 0
        self.touched_rows, sums, self.row_counts = sum_rows_by_id(self.idx, dout)
        self.rows_gathered = self.idx.size
        dW[self.touched_rows] = sums


def sum_rows_by_id(ids, rows, layers=4):
    """Group ``rows`` by ``ids`` and sum each group (a scatter-add done with one sort).

    ids: non-negative int array of any shape; rows: ids.shape + (D,) -> (unique_ids: (U,),
    sums: (U, D), counts: (U,)), counts[u] being the size of group u.
    After a stable sort the k-th occurrence of an id has rank k in its group.  The rows of rank
    0 are copied into ``sums``; those of rank 1, ..., layers - 1 are added one rank at a time
    with ``sums[group] += rows`` (a rank holds each id at most once, so no addition is lost);
    the rest, which only the frequent words of a batch have, are summed by one ``add.reduceat``
    and added.  (A ``reduceat`` over all groups costs about three times as much: it runs an
    inner loop per group, and most groups hold one or two rows.)  Ids below 2^16 (every
    vocabulary of this book) are sorted as 16-bit integers, which NumPy sorts stably by radix
    sort, several times faster than a comparison sort of 64-bit ones.
    Only operations CuPy has too (``add.reduceat`` since CuPy 12; no array-valued ``repeat``).
    """
    xp = array_module(rows)
    ids = ids.reshape(-1)
    rows = rows.reshape(ids.size, -1)
    small = ids.size and 0 <= int(ids.min()) and int(ids.max()) < 2 ** 16
    sort_keys = ids.astype(xp.uint16) if small else ids
    order = xp.argsort(sort_keys, kind='stable')
    sorted_ids = ids[order]
    is_start = _starts_of_runs(sorted_ids)  # sorted position begins a new id
    starts = xp.flatnonzero(is_start)  # (U,)
    unique_ids = sorted_ids[starts]
    group = xp.cumsum(is_start) - 1  # (ids.size,): the group of every sorted position
    rank = xp.arange(ids.size) - starts[group]  # (ids.size,): occurrence number in its group
    sums = xp.take(rows, order[starts], axis=0)  # rank 0: (U, D)
    for k in range(1, layers):
        at_rank = rank == k
        if not at_rank.any():
            break
        sums[group[at_rank]] += xp.take(rows, order[at_rank], axis=0)
    else:
        deep = rank >= layers
        if deep.any():
            deep_group = group[deep]  # sorted, so each group's rows are consecutive
            firsts = xp.flatnonzero(_starts_of_runs(deep_group))
            sums[deep_group[firsts]] += xp.add.reduceat(xp.take(rows, order[deep], axis=0), firsts,
                                                        axis=0)
    return unique_ids, sums, xp.diff(starts, append=ids.size)


def _starts_of_runs(values):
    """values: (n,) sorted, n >= 1 -> (n,) bool, True where a run of equal values begins."""
    xp = array_module(values)
    is_start = xp.empty(values.size, dtype=bool)
    is_start[0] = True
    xp.not_equal(values[1:], values[:-1], out=is_start[1:])
    return is_start
