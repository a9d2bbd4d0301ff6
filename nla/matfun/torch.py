"""PyTorch adapter: :func:`nla.sqrtm` and :func:`nla.inv_sqrtm` as autograd functions.

``nla.matfun.torch.sqrtm`` and ``nla.matfun.torch.inv_sqrtm`` are
``torch.autograd.Function`` wrappers around :func:`nla.sqrtm_with_vjp` and
:func:`nla.inv_sqrtm_with_vjp`: the forward pass keeps the returned ``vjp``
closure, and the backward pass calls it with the incoming gradient, so a
training step pays for one factorization, not two. A CPU tensor reaches nla
as a NumPy array (a view, no copy: NumPy's LAPACK path); a tensor on another
device is handed to nla as it is and runs through the generic array-API
code on that device.

This module imports PyTorch; ``import nla`` and ``import nla.matfun`` do not.
Without PyTorch, importing it raises ImportError.
"""

from __future__ import annotations

try:
    import torch
except ImportError as exc:
    raise ImportError(
        f"nla.matfun.torch needs PyTorch: pip install torch (import failed: {exc})"
    ) from exc

import numpy as np

from ._api import inv_sqrtm_with_vjp, sqrtm_with_vjp

__all__ = ["sqrtm", "inv_sqrtm"]

_DTYPES = (torch.float32, torch.float64)


def _on_host(T):
    """True when `T` is handed to nla as a NumPy view (CPU tensors)."""
    return T.device.type == "cpu"


def _to_nla(T, name):
    """The tensor's values for nla: a NumPy view on the CPU, else the tensor."""
    if not isinstance(T, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(T).__name__}")
    if T.dtype not in _DTYPES:
        raise TypeError(
            f"{name} must have dtype torch.float32 or torch.float64, got {T.dtype}"
        )
    T = T.detach().resolve_neg()
    return T.numpy() if _on_host(T) else T


def _to_torch(x, source, like):
    """`x` as a tensor on the device of `like`, never sharing memory with `source`."""
    if isinstance(x, torch.Tensor):
        if x.untyped_storage().data_ptr() == source.untyped_storage().data_ptr():
            x = x.clone()
        return x.to(device=like.device)
    x = np.asarray(x)
    if (not x.flags.writeable or any(s < 0 for s in x.strides)
            or np.may_share_memory(x, source)):
        x = np.array(x)
    return torch.from_numpy(x).to(device=like.device)


def _forward(ctx, A, with_vjp, kwargs):
    a = _to_nla(A, "A")
    X, vjp = with_vjp(a, **kwargs)
    ctx.vjp = vjp if ctx.needs_input_grad[0] else None
    ctx.save_for_backward(A)
    return _to_torch(X, a, A)


def _backward(ctx, G, name):
    with torch.no_grad():
        g = _to_nla(G, "G")
        dA = _to_torch(ctx.vjp(g), g, G)
    if torch.is_grad_enabled():
        # create_graph=True: the gradient depends on A through the closure,
        # which autograd cannot see. Like torch's once_differentiable, but
        # also when G does not require grad: a second backward pass through
        # it raises instead of treating the gradient as constant in A.
        (A,) = ctx.saved_tensors
        dA = _OnceDifferentiable.apply(dA, name, A, G)
    return dA


class _OnceDifferentiable(torch.autograd.Function):
    """Identity on its first argument; its backward raises."""

    @staticmethod
    def forward(ctx, dA, name, *inputs):
        ctx.name = name
        return dA.clone()

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(
            f"nla.matfun.torch.{ctx.name} is differentiable once (once_differentiable): "
            "its backward pass is not differentiable, so second derivatives (a "
            "backward pass through a gradient made with create_graph=True) are "
            "not supported"
        )


class _Sqrtm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, A, kwargs):
        return _forward(ctx, A, sqrtm_with_vjp, kwargs)

    @staticmethod
    def backward(ctx, G):
        return _backward(ctx, G, "sqrtm"), None


class _InvSqrtm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, A, kwargs):
        return _forward(ctx, A, inv_sqrtm_with_vjp, kwargs)

    @staticmethod
    def backward(ctx, G):
        return _backward(ctx, G, "inv_sqrtm"), None


def sqrtm(A, *, method="eigh", **kwargs):
    """Differentiable principal square root of a batch of SPD matrices (PyTorch).

    Parameters
    ----------
    A : torch.Tensor, shape (..., n, n)
        Symmetric positive semidefinite matrices, dtype ``torch.float32`` or
        ``torch.float64``; leading axes are batch axes.
    method : {"eigh", "mpa", "mtp", "newton-schulz"}, default "eigh"
        As in :func:`nla.sqrtm`.
    **kwargs
        The other options of :func:`nla.sqrtm_with_vjp`: ``vjp_method``
        (``"eigh"`` or ``"lyapunov"``), ``degree``, ``tol``, ``maxiter``,
        ``vjp_tol``, ``vjp_maxiter``, ``check_finite``, ``sym_rtol``,
        ``engine``.

    Returns
    -------
    X : torch.Tensor, shape (..., n, n)
        ``nla.sqrtm(A, method=method, ...)``, with the dtype and device of
        `A`, differentiable once with respect to `A`.

    Raises
    ------
    TypeError
        If `A` is not a tensor of dtype float32 or float64.
    ValueError
        For the inputs :func:`nla.sqrtm` rejects (not square, NaN/Inf, not
        symmetric, not positive semidefinite), with its message.

    See Also
    --------
    inv_sqrtm, nla.sqrtm_with_vjp, nla.sqrtm

    Notes
    -----
    A CPU tensor is passed to nla as a NumPy view, without a copy; a tensor
    on another device stays there and runs through nla's generic array-API
    code (through array-api-compat). The backward pass calls the ``vjp`` closure of
    :func:`nla.sqrtm_with_vjp`, which solves ``X dA + dA X = G`` with the
    forward's eigendecomposition or ``X``. That gradient is not itself
    differentiable: a backward pass through a gradient made with
    ``create_graph=True`` (a second derivative) raises RuntimeError.

    `A` must be symmetric (to within ``sym_rtol``) and its symmetric part
    is used. For ``torch.autograd.gradcheck``, which perturbs one entry at a
    time, differentiate ``lambda B: sqrtm((B + B.mT) / 2)``.

    Examples
    --------
    >>> import torch
    >>> from nla.matfun.torch import sqrtm
    >>> A = torch.diag(torch.tensor([4.0, 16.0], dtype=torch.float64))
    >>> A.requires_grad_()
    tensor([[ 4.,  0.],
            [ 0., 16.]], dtype=torch.float64, requires_grad=True)
    >>> X = sqrtm(A)
    >>> X.detach()
    tensor([[2., 0.],
            [0., 4.]], dtype=torch.float64)
    >>> torch.trace(X).backward()                    # d tr(sqrt A) / dA = A^(-1/2) / 2
    >>> A.grad
    tensor([[0.2500, 0.0000],
            [0.0000, 0.1250]], dtype=torch.float64)
    """
    return _Sqrtm.apply(A, dict(kwargs, method=method))


def inv_sqrtm(A, *, method="eigh", **kwargs):
    """Differentiable inverse principal square root of a batch of SPD matrices (PyTorch).

    Parameters
    ----------
    A : torch.Tensor, shape (..., n, n)
        Symmetric positive definite matrices, dtype ``torch.float32`` or
        ``torch.float64``; leading axes are batch axes.
    method : {"eigh", "mpa", "mtp", "newton-schulz"}, default "eigh"
        As in :func:`nla.inv_sqrtm`.
    **kwargs
        The other options of :func:`nla.inv_sqrtm_with_vjp`, as in
        :func:`sqrtm`.

    Returns
    -------
    Y : torch.Tensor, shape (..., n, n)
        ``nla.inv_sqrtm(A, method=method, ...)``, with the dtype and device
        of `A`, differentiable once with respect to `A`.

    Raises
    ------
    TypeError
        If `A` is not a tensor of dtype float32 or float64.
    ValueError
        For the inputs :func:`nla.inv_sqrtm` rejects, with its message.

    See Also
    --------
    sqrtm, nla.inv_sqrtm_with_vjp, nla.inv_sqrtm

    Notes
    -----
    As for :func:`sqrtm`; the backward pass solves
    ``X dA + dA X = -Y G Y`` with ``X = A^(1/2)``.

    Examples
    --------
    >>> import torch
    >>> from nla.matfun.torch import inv_sqrtm
    >>> C = torch.eye(3).expand(2, 3, 3) * torch.tensor([1.0, 4.0]).view(2, 1, 1)
    >>> C.requires_grad_()
    tensor([[[1., 0., 0.],
             [0., 1., 0.],
             [0., 0., 1.]],
    <BLANKLINE>
            [[4., 0., 0.],
             [0., 4., 0.],
             [0., 0., 4.]]], requires_grad=True)
    >>> W = inv_sqrtm(C)                             # a batch of two, float32
    >>> W.dtype, torch.diagonal(W, dim1=-2, dim2=-1).detach()
    (torch.float32, tensor([[1.0000, 1.0000, 1.0000],
            [0.5000, 0.5000, 0.5000]]))
    >>> W.sum().backward()
    >>> C.grad.shape
    torch.Size([2, 3, 3])
    """
    return _InvSqrtm.apply(A, dict(kwargs, method=method))
