"""Text vectors for the TEXT criterion: lexical TF-IDF by default, local embeddings optionally.

The default works offline with no model: words are lower-cased and stop words dropped;
every word found in at least two texts is a term (a word found in one text only cannot
make two texts similar); each text becomes a sparse TF-IDF row (sublinear term frequency
times smoothed inverse document frequency, L2-normalised).

The engine's TEXT kernel costs one multiply-add per dimension for each pair scored, and
automatch scores up to 100k x 20k pairs, so rows are reduced to at most `MAX_DIMENSIONS`
with a truncated SVD (latent semantic analysis): the directions most texts share are
kept. Small cases stay exact: with at most `MAX_DIMENSIONS` terms nothing is reduced,
and when one side has fewer people than that (a candidates page scores one person
against the other side) the vectors are written in the small side's own basis, which
keeps every mentee-mentor cosine.

When `settings.MATCHING_TEXT_MODEL` names a local sentence-transformers model and the
package is installed, texts are embedded with it instead; embeddings are cached in
`TextEmbedding` by the text's SHA-256, so text that did not change is never encoded again.

Rows are not quantised here: the engine's CohortBuilder normalises them and rounds them
to int8.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from scipy import sparse
from scipy.sparse.linalg import svds

logger = logging.getLogger(__name__)

MAX_DIMENSIONS = 64
MIN_DOCUMENT_FREQUENCY = 2
# Hashes looked up per query: well under every database's limit of bound parameters.
LOOKUP_BATCH = 5000
# Embeddings stored per insert (a few hundred kilobytes).
INSERT_BATCH = 500
SVD_SEED = 20240601
WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_STOP_WORD_TEXT = """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your
    yours yourself yourselves want wants like would also get make help learn learning
"""
STOP_WORDS = frozenset(_STOP_WORD_TEXT.split())


def tokens(text: str) -> list[str]:
    return [w for w in WORD.findall((text or "").casefold()) if w not in STOP_WORDS]


# Lexical vectors -------------------------------------------------------------------------


def tfidf_matrix(texts: Sequence[str]) -> sparse.csr_matrix:
    """Return the texts' TF-IDF rows (float64, L2-normalised) over every shared term.

    Terms are the words found in at least two texts, in alphabetical order; a text with
    none of them gives a zero row.
    """
    counted = [Counter(tokens(text)) for text in texts]
    document_frequency: Counter[str] = Counter()
    for counts in counted:
        document_frequency.update(counts.keys())
    terms = sorted(
        term for term, count in document_frequency.items() if count >= MIN_DOCUMENT_FREQUENCY
    )
    column_of = {term: column for column, term in enumerate(terms)}
    pointer = np.zeros(len(counted) + 1, dtype=np.int64)
    columns: list[int] = []
    frequencies: list[int] = []
    for row, counts in enumerate(counted):
        for term, count in counts.items():
            column = column_of.get(term)
            if column is not None:
                columns.append(column)
                frequencies.append(count)
        pointer[row + 1] = len(columns)
    matrix = sparse.csr_matrix(
        (
            1.0 + np.log(np.asarray(frequencies, dtype=np.float64)),
            np.asarray(columns, dtype=np.int64),
            pointer,
        ),
        shape=(len(counted), len(terms)),
    )
    matrix.sort_indices()
    if not terms:
        return matrix
    total = len(counted)
    idf = np.log((1 + total) / (1 + np.array([document_frequency[t] for t in terms]))) + 1.0
    matrix = sparse.csr_matrix(matrix @ sparse.diags(idf))
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)


def reduce_dimensions(
    matrix: sparse.spmatrix | np.ndarray, *, dimensions: int = MAX_DIMENSIONS
) -> np.ndarray:
    """Return dense float32 rows of at most `dimensions` whose dot products approximate the
    rows' own (exactly when the rows span at most `dimensions`).

    Wider rows are projected on their top right singular vectors (a truncated SVD), so
    the most-shared directions of meaning are kept. Row i of U·S is row i projected,
    which is what the engine compares. ARPACK starts from a fixed vector: the same texts
    always give the same vectors.
    """
    rows, columns = matrix.shape
    if columns <= dimensions:
        return _at_least_one_column(_dense(matrix).astype(np.float32))
    if rows <= dimensions:
        # The rows span at most `rows` dimensions: their own singular basis keeps every
        # dot product, whatever the number of columns.
        left, singular, _ = np.linalg.svd(_dense(matrix), full_matrices=False)
        return _at_least_one_column((left * singular).astype(np.float32))
    if isinstance(matrix, np.ndarray):
        # Dense rows (embeddings) are a few hundred wide: the Gram matrix's eigenvectors
        # give the same projection as the SVD, exactly and without iterating.
        dense = matrix.astype(np.float64)
        _, eigenvectors = np.linalg.eigh(dense.T @ dense)
        top = eigenvectors[:, ::-1][:, :dimensions]
        return np.ascontiguousarray((dense @ top).astype(np.float32))
    start = np.random.default_rng(SVD_SEED).standard_normal(min(rows, columns))
    left, singular, _ = svds(
        sparse.csr_matrix(matrix, dtype=np.float64),
        k=dimensions,
        v0=start,
        return_singular_vectors="u",
    )
    return np.ascontiguousarray((left * singular).astype(np.float32))


def _dense(matrix: sparse.spmatrix | np.ndarray) -> np.ndarray:
    """The matrix as a dense float64 array."""
    if isinstance(matrix, np.ndarray):
        return matrix.astype(np.float64)
    return np.asarray(matrix.toarray(), dtype=np.float64)


def _squared_lengths(matrix: sparse.spmatrix | np.ndarray) -> np.ndarray:
    if isinstance(matrix, np.ndarray):
        dense = matrix.astype(np.float64)
        return np.einsum("ij,ij->i", dense, dense)
    return np.asarray(matrix.multiply(matrix).sum(axis=1), dtype=np.float64).ravel()


def _at_least_one_column(vectors: np.ndarray) -> np.ndarray:
    if vectors.shape[1] > 0:
        return np.ascontiguousarray(vectors)
    return np.zeros((vectors.shape[0], 1), dtype=np.float32)


def tfidf_vectors(texts: Sequence[str], *, dimensions: int = MAX_DIMENSIONS) -> np.ndarray:
    """Return one TF-IDF row per text (float32, at most `dimensions` wide)."""
    return reduce_dimensions(tfidf_matrix(texts), dimensions=dimensions)


# Optional local embeddings -------------------------------------------------------------

Encoder = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class EmbeddingModel:
    """A sentence-embedding model: `name` keys its cache, `encode` embeds a batch."""

    name: str
    encode: Encoder


# Tests put a small deterministic model here instead of a sentence-transformers one.
model_override: EmbeddingModel | None = None


def embedding_model() -> EmbeddingModel | None:
    """The configured local embedding model, or None to use TF-IDF."""
    if model_override is not None:
        return model_override
    path = str(getattr(settings, "MATCHING_TEXT_MODEL", "") or "").strip()
    if not path:
        return None
    return _load_model(path)


@functools.cache
def _load_model(path: str) -> EmbeddingModel | None:
    """Load the model once per process; if it cannot be, warn once and use TF-IDF."""
    # Never reach for the network: the model must already be on disk.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        library = importlib.import_module("sentence_transformers")
    except ImportError:
        logger.warning(
            "MATCHING_TEXT_MODEL is set to %r but sentence-transformers is not installed; "
            "text similarity uses TF-IDF.",
            path,
        )
        return None
    try:
        model = library.SentenceTransformer(path, device="cpu", local_files_only=True)
    except Exception:
        logger.warning(
            "The text model at %r could not be loaded; text similarity uses TF-IDF.",
            path,
            exc_info=True,
        )
        return None

    def encode(texts: list[str]) -> np.ndarray:
        return np.asarray(
            model.encode(
                texts,
                batch_size=64,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            ),
            dtype=np.float32,
        )

    return EmbeddingModel(name=path, encode=encode)


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cached_embeddings(texts: Sequence[str], *, model: EmbeddingModel) -> np.ndarray:
    """Return one embedding row per text, encoding only the texts not cached yet.

    Cached rows are read in one query per `LOOKUP_BATCH` distinct texts; the missing
    texts are encoded in one batch and stored in bulk (one insert per `INSERT_BATCH`).
    Empty texts give zero rows, as they do with TF-IDF.
    """
    # Imported here so that the lexical half of this module needs no Django app registry.
    from trellis.matching.models import TextEmbedding

    hashes = [text_sha256(text) if text.strip() else "" for text in texts]
    wanted = sorted({digest for digest in hashes if digest})
    found: dict[str, np.ndarray] = {}
    for start in range(0, len(wanted), LOOKUP_BATCH):
        rows = TextEmbedding.objects.filter(
            model_name=model.name, text_sha256__in=wanted[start : start + LOOKUP_BATCH]
        ).values_list("text_sha256", "dimensions", "vector")
        for digest, dimensions, vector in rows:
            values = np.frombuffer(bytes(vector), dtype="<f4")
            if len(values) == dimensions:
                found[digest] = values
    missing: dict[str, str] = {}
    for text, digest in zip(texts, hashes, strict=True):
        if digest and digest not in found:
            missing.setdefault(digest, text)
    if missing:
        encoded = np.asarray(model.encode(list(missing.values())), dtype=np.float32)
        if encoded.ndim != 2 or encoded.shape[0] != len(missing):
            raise ValueError("The text model returned the wrong number of embeddings.")
        new_rows = []
        for digest, vector in zip(missing, encoded, strict=True):
            found[digest] = vector
            new_rows.append(
                TextEmbedding(
                    model_name=model.name,
                    text_sha256=digest,
                    dimensions=len(vector),
                    vector=vector.astype("<f4").tobytes(),
                )
            )
        # Two workers embedding the same new text store it once.
        TextEmbedding.objects.bulk_create(new_rows, ignore_conflicts=True, batch_size=INSERT_BATCH)
    width = max((len(vector) for vector in found.values()), default=1)
    result = np.zeros((len(texts), width), dtype=np.float32)
    for row, digest in enumerate(hashes):
        embedding = found.get(digest) if digest else None
        if embedding is not None and len(embedding) == width:
            result[row] = embedding
    return result


def text_matrix(texts: Sequence[str]) -> sparse.csr_matrix | np.ndarray:
    """The texts' full vectors: local embeddings when configured, TF-IDF otherwise."""
    model = embedding_model()
    if model is None:
        return tfidf_matrix(texts)
    return cached_embeddings(texts, model=model)


def side_vectors(
    mentee_texts: Sequence[str],
    mentor_texts: Sequence[str],
    *,
    dimensions: int = MAX_DIMENSIONS,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the two sides' vectors, fitted together, at most `dimensions` wide each.

    Only a mentee's row is ever compared with a mentor's. So when one side is small (the
    candidates pages score one person against the whole other side) its rows' own span
    plus one column for what lies outside it keeps every cross-side cosine exactly, at
    the cost of a small SVD; otherwise both sides are reduced together (see
    `reduce_dimensions`).
    """
    matrix = text_matrix([*mentee_texts, *mentor_texts])
    split = len(mentee_texts)
    mentees, mentors = matrix[:split], matrix[split:]
    if min(len(mentee_texts), len(mentor_texts)) < dimensions:
        if len(mentee_texts) <= len(mentor_texts):
            small, large = _project_on_span(mentees, mentors)
            return small, large
        small, large = _project_on_span(mentors, mentees)
        return large, small
    vectors = reduce_dimensions(matrix, dimensions=dimensions)
    return vectors[:split], vectors[split:]


def _project_on_span(
    small: sparse.csr_matrix | np.ndarray, large: sparse.csr_matrix | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of both sides in an orthonormal basis of the small side's rows, plus a
    last column holding the length of each large row outside that span.

    Every row keeps its length and every small-large dot product is unchanged, so the
    cosines the engine computes after normalising are exact.
    """
    small_dense = _dense(small)
    if small_dense.shape[0] and small_dense.shape[1]:
        _, singular, basis = np.linalg.svd(small_dense, full_matrices=False)
        tolerance = max(small_dense.shape) * np.finfo(np.float64).eps * singular.max(initial=0.0)
        basis = basis[singular > tolerance]
    else:
        basis = np.zeros((0, small_dense.shape[1]))
    rank = basis.shape[0]
    small_vectors = np.zeros((small_dense.shape[0], rank + 1), dtype=np.float32)
    small_vectors[:, :rank] = small_dense @ basis.T
    projected = np.asarray(large @ basis.T, dtype=np.float64).reshape(large.shape[0], rank)
    outside = np.sqrt(np.maximum(_squared_lengths(large) - (projected**2).sum(axis=1), 0.0))
    large_vectors = np.empty((large.shape[0], rank + 1), dtype=np.float32)
    large_vectors[:, :rank] = projected
    large_vectors[:, rank] = outside
    return small_vectors, large_vectors
