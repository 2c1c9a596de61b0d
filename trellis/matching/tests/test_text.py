"""Text similarity: sparse TF-IDF reduced by SVD, exact small cases, cached local embeddings."""

from __future__ import annotations

import hashlib
import logging
import sys

import numpy as np
import pytest

from trellis.matching import text
from trellis.matching.cohort import TEXT_OFFERED, TEXT_SOUGHT, program_cohort
from trellis.matching.models import TextEmbedding
from trellis.matching.tests.factories import criteria, mentee_in, mentor_in
from trellis.programs.tests.factories import ProgramFactory

# Six topics, each a few real sentences a mentee or a mentor might write.
TOPICS = {
    "data": [
        "I work with machine learning models and statistics every day.",
        "Python notebooks, pandas and scikit-learn are my daily tools for data science.",
        "Building forecasting models from messy data sets is what I enjoy most.",
        "Feature engineering and model evaluation for data science projects.",
        "I moved from statistics into machine learning and data science.",
        "Cleaning data, training models and explaining predictions to stakeholders.",
    ],
    "leadership": [
        "Leading a team for the first time: feedback, delegation and one-to-ones.",
        "I coach new team leads on hiring, feedback and difficult conversations.",
        "Managing people well means regular one-to-ones and honest feedback.",
        "Delegation and trust are the hardest parts of leading a team.",
        "Running a team through a reorganisation taught me about difficult conversations.",
        "Hiring the right people and growing them into team leads.",
    ],
    "speaking": [
        "Public speaking at conferences still makes me nervous.",
        "I give conference talks and coach speakers on storytelling and slides.",
        "Presenting to executives needs a clear story and simple slides.",
        "Storytelling turns a technical talk into one the audience remembers.",
        "Rehearsing a conference talk out loud is how I prepare for public speaking.",
        "Designing slides and handling questions from the audience after talks.",
    ],
    "frontend": [
        "Accessible web interfaces with semantic HTML and careful CSS.",
        "I build React components and care about browser performance.",
        "Screen readers, keyboard navigation and accessible forms in the browser.",
        "CSS layout with grid and flexbox for responsive web design.",
        "Frontend performance: bundle size, rendering and the browser's main thread.",
        "Design systems of reusable components for web interfaces.",
    ],
    "career": [
        "Negotiating a salary and a promotion with my manager.",
        "Changing careers from teaching into software after ten years.",
        "Preparing a promotion case and asking for a raise.",
        "Career change into technology: portfolio, interviews and networking.",
        "Salary negotiation and interviews when switching employers.",
        "Networking and interviews helped my career change more than courses.",
    ],
    "security": [
        "Threat modelling and penetration testing of web applications.",
        "Incident response, logging and monitoring for security teams.",
        "Securing cloud infrastructure: identity, secrets and encryption.",
        "Penetration testing taught me how attackers think about web applications.",
        "Encryption, secrets management and key rotation in the cloud.",
        "Security incident response drills and monitoring alerts.",
    ],
}


# What people also write, whatever their topic: noise that spans many more dimensions.
GENERAL = [
    "I live in Lisbon and work remotely for a company in Berlin.",
    "Outside work I play the piano and run half marathons.",
    "I have two children and a very old cat.",
    "My team is spread over four time zones.",
    "I joined the company three years ago as a junior.",
    "Weekends are for hiking in the mountains with friends.",
    "I speak Portuguese, English and a little German.",
    "Before this job I was a chemistry teacher in a secondary school.",
    "I read a lot of science fiction on the train.",
    "Coffee first, then meetings, then the real work.",
    "I grew up on a farm in the north of Sweden.",
    "Our office has a rooftop garden where I grow tomatoes.",
    "I volunteer at a local coding club for teenagers.",
    "Cycling to the office keeps me sane.",
    "I recently moved to a new city and know few people here.",
    "Cooking for friends is how I relax after a long week.",
    "I studied philosophy before I found my way into industry.",
    "My calendar is full of recurring meetings I never chose.",
    "I prefer video calls in the morning, my afternoons are busy.",
    "Photography and long walks with my dog on Sundays.",
    "I am a night owl and do my best thinking late.",
    "I took a year off to travel through South America.",
    "Board games, chess and the occasional crossword.",
    "My partner and I are renovating an old house.",
    "I write a small newsletter about the books I read.",
    "I sing in a choir on Thursday evenings.",
    "Swimming in the lake every morning during summer.",
    "I am learning Japanese on my commute.",
    "Our department doubled in size this year.",
    "I mentor students at my old university.",
    "Gardening, baking bread and fixing old bicycles.",
    "I grew up speaking three languages at home.",
]


def cosine(first: np.ndarray, second: np.ndarray) -> float:
    norms = np.linalg.norm(first) * np.linalg.norm(second)
    return float(first @ second / norms) if norms else 0.0


def people(count: int, seed: int) -> tuple[list[str], list[str]]:
    """`count` texts (two sentences of one topic and one about life), and their topics."""
    generator = np.random.default_rng(seed)
    names = sorted(TOPICS)
    topics, texts = [], []
    for _ in range(count):
        topic = names[generator.integers(len(names))]
        first, second = generator.choice(len(TOPICS[topic]), size=2, replace=False)
        general = GENERAL[generator.integers(len(GENERAL))]
        topics.append(topic)
        texts.append(f"{TOPICS[topic][first]} {general} {TOPICS[topic][second]}")
    return texts, topics


# Lexical vectors ---------------------------------------------------------------------------


def test_similar_goals_and_bios_score_high_and_unrelated_ones_low():
    mentees = [
        "I want to grow as a data scientist: machine learning models, statistics, Python.",
        "Looking for guidance on leading a team for the first time and giving feedback.",
        "I would like to improve my public speaking and presenting at conferences.",
    ]
    mentors = [
        "Data scientist for ten years; I teach machine learning, statistics and Python.",
        "Engineering manager: I coach people leading a team for the first time on feedback.",
        "I speak at conferences and coach people on presenting and public speaking.",
    ]

    sought, offered = text.side_vectors(mentees, mentors)

    similarity = np.array([[cosine(a, b) for b in offered] for a in sought])
    assert np.all(np.diag(similarity) > 0.4)
    assert np.all(similarity[~np.eye(3, dtype=bool)] < 0.05)


def test_a_large_cohort_is_reduced_to_64_dimensions_and_still_finds_its_topic():
    mentee_texts, mentee_topics = people(150, seed=1)
    mentor_texts, mentor_topics = people(90, seed=2)
    assert text.tfidf_matrix(mentee_texts + mentor_texts).shape[1] > text.MAX_DIMENSIONS

    sought, offered = text.side_vectors(mentee_texts, mentor_texts)

    assert sought.shape == (150, text.MAX_DIMENSIONS)
    assert offered.shape == (90, text.MAX_DIMENSIONS)
    sought = sought / np.linalg.norm(sought, axis=1, keepdims=True)
    offered = offered / np.linalg.norm(offered, axis=1, keepdims=True)
    similarity = sought @ offered.T
    same = np.equal.outer(np.array(mentee_topics), np.array(mentor_topics))
    assert similarity[same].mean() > 0.25
    assert similarity[~same].mean() < 0.05
    # Most mentees' best mentor writes about the same topic (a shared sentence about life
    # outweighs the topic now and then, as it would without the reduction).
    best = similarity.argmax(axis=1)
    assert np.mean([mentor_topics[j] == t for j, t in zip(best, mentee_topics, strict=True)]) > 0.9
    # The 64 dimensions stay close to the exact cosines of the full vocabulary.
    full = text.tfidf_matrix(mentee_texts + mentor_texts).toarray()
    assert np.linalg.matrix_rank(full) > text.MAX_DIMENSIONS
    np.testing.assert_allclose(similarity, full[:150] @ full[150:].T, atol=0.1)


def test_the_reduction_is_deterministic():
    mentee_texts, _ = people(100, seed=3)
    mentor_texts, _ = people(80, seed=4)

    first = text.side_vectors(mentee_texts, mentor_texts)
    second = text.side_vectors(mentee_texts, mentor_texts)

    assert np.array_equal(first[0], second[0])
    assert np.array_equal(first[1], second[1])


def test_tfidf_weights_shared_terms_and_ignores_words_found_in_one_text():
    texts = ["python python django", "python flask", "gardening", "django rest python"]

    matrix = text.tfidf_matrix(texts)

    assert matrix.shape == (4, 2)  # "django" and "python"; "flask" and "gardening" once
    dense = matrix.toarray()
    np.testing.assert_allclose(np.linalg.norm(dense[[0, 1, 3]], axis=1), 1.0)
    assert not dense[2].any()
    # Sublinear term frequency: twice "python" weighs 1 + ln 2, not 2.
    idf = np.log(5 / 4) + 1, np.log(5 / 3) + 1  # python in 3 texts, django in 2
    row = np.array([idf[1], (1 + np.log(2)) * idf[0]])
    np.testing.assert_allclose(dense[0], row / np.linalg.norm(row))


def test_a_small_vocabulary_is_not_reduced():
    texts = ["python and data", "data and python", "design", "design systems", "systems"]

    vectors = text.tfidf_vectors(texts)

    np.testing.assert_allclose(vectors, text.tfidf_matrix(texts).toarray(), atol=1e-7)


def test_one_person_against_a_whole_side_keeps_every_cosine_exactly():
    mentor_texts, _ = people(120, seed=5)
    mentee_texts = [
        "Machine learning and statistics for my first data science project.",
        "Preparing my first conference talk; public speaking scares me.",
    ]

    sought, offered = text.side_vectors(mentee_texts, mentor_texts)
    # The other way round (one mentor against every mentee) too.
    offered_alone, sought_many = text.side_vectors(mentor_texts, mentee_texts[:1])

    full = text.tfidf_matrix(mentee_texts + mentor_texts).toarray()
    expected = full[:2] @ full[2:].T
    assert sought.shape[1] <= 3
    actual = np.array([[cosine(a, b) for b in offered] for a in sought])
    np.testing.assert_allclose(actual, expected, atol=1e-6)
    assert cosine(offered_alone[0], sought_many[0]) == pytest.approx(expected[0, 0], abs=1e-6)


def test_texts_without_shared_words_give_zero_vectors():
    sought, offered = text.side_vectors(["", "   "], ["Gardening in spring."])

    assert not sought.any()
    assert offered.shape[0] == 1


# Local embeddings, cached ------------------------------------------------------------------


class FakeModel:
    """A deterministic stand-in for a sentence-transformers model: hashed bags of words."""

    DIMENSIONS = 24

    def __init__(self) -> None:
        self.encoded: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.encoded.append(list(texts))
        vectors = np.zeros((len(texts), self.DIMENSIONS), dtype=np.float32)
        for row, sentence in enumerate(texts):
            for word in text.tokens(sentence):
                digest = hashlib.sha256(word.encode()).digest()
                vectors[row, digest[0] % self.DIMENSIONS] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return vectors / norms


@pytest.fixture
def fake_model(monkeypatch):
    fake = FakeModel()
    monkeypatch.setattr(text, "model_override", text.EmbeddingModel("fake-model", fake.encode))
    return fake


@pytest.mark.django_db
def test_embeddings_are_computed_once_and_again_only_for_changed_text(
    fake_model, django_assert_num_queries
):
    texts = [
        "Machine learning and statistics.",
        "Public speaking at conferences.",
        "Leading a team for the first time.",
        "Machine learning and statistics.",  # the same text is encoded once
        "",  # nothing to encode
        "Security incident response.",
    ]

    with django_assert_num_queries(2):  # one read, one insert
        first = text.cached_embeddings(texts, model=text.model_override)

    assert fake_model.encoded == [
        [
            "Machine learning and statistics.",
            "Public speaking at conferences.",
            "Leading a team for the first time.",
            "Security incident response.",
        ]
    ]
    assert TextEmbedding.objects.count() == 4
    assert first.shape == (6, FakeModel.DIMENSIONS)
    np.testing.assert_array_equal(first[0], first[3])
    assert not first[4].any()
    np.testing.assert_allclose(first[1], fake_model.encode([texts[1]])[0])
    fake_model.encoded.clear()

    changed = [*texts[:2], "Leading a team through a reorganisation.", *texts[3:]]
    with django_assert_num_queries(2):
        second = text.cached_embeddings(changed, model=text.model_override)

    assert fake_model.encoded == [["Leading a team through a reorganisation."]]
    np.testing.assert_array_equal(np.delete(second, 2, axis=0), np.delete(first, 2, axis=0))
    fake_model.encoded.clear()

    with django_assert_num_queries(1):  # nothing new: one read only
        third = text.cached_embeddings(changed, model=text.model_override)

    assert fake_model.encoded == []
    np.testing.assert_array_equal(third, second)


@pytest.mark.django_db
def test_the_cache_is_kept_per_model(fake_model):
    other = FakeModel()
    texts = ["Machine learning and statistics.", "Public speaking at conferences."]

    text.cached_embeddings(texts, model=text.model_override)
    text.cached_embeddings(texts, model=text.EmbeddingModel("other-model", other.encode))

    assert len(other.encoded) == 1
    assert sorted(TextEmbedding.objects.values_list("model_name", flat=True)) == [
        "fake-model",
        "fake-model",
        "other-model",
        "other-model",
    ]


@pytest.mark.django_db
def test_matching_uses_the_cached_embeddings_and_encodes_only_a_changed_profile(fake_model):
    program = ProgramFactory()
    criteria(program, ("text", "text", False, 5, None))
    ada = mentor_in(program, bio="I teach machine learning and statistics.")
    mentor_in(program, bio="I coach conference speakers on public speaking.")
    ana = mentee_in(program, goals="Machine learning and statistics for data science.")
    mentee_in(program, goals="Public speaking at conferences.")

    cohort = program_cohort(program=program)

    assert sum(len(batch) for batch in fake_model.encoded) == 4
    assert cohort.cohort.feature(TEXT_SOUGHT).width == cohort.cohort.feature(TEXT_OFFERED).width
    fake_model.encoded.clear()
    program_cohort(program=program)
    assert fake_model.encoded == []

    ana.profile.goals = "Statistics for my first machine learning model."
    ana.profile.save()
    program_cohort(program=program)

    assert len(fake_model.encoded) == 1
    assert len(fake_model.encoded[0]) == 1
    assert "Statistics for my first machine learning model." in fake_model.encoded[0][0]
    assert ada


@pytest.mark.django_db
def test_a_configured_model_without_the_package_falls_back_to_tfidf(settings, monkeypatch, caplog):
    mentee_texts, _ = people(10, seed=6)
    mentor_texts, _ = people(8, seed=7)
    expected = text.side_vectors(mentee_texts, mentor_texts)
    settings.MATCHING_TEXT_MODEL = "/srv/models/all-MiniLM-L6-v2"
    # However the machine is set up, the import fails as it does without the package.
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    text._load_model.cache_clear()

    with caplog.at_level(logging.WARNING, logger="trellis.matching.text"):
        first = text.side_vectors(mentee_texts, mentor_texts)
        second = text.side_vectors(mentee_texts, mentor_texts)
    text._load_model.cache_clear()

    for vectors in (first, second):
        np.testing.assert_array_equal(vectors[0], expected[0])
        np.testing.assert_array_equal(vectors[1], expected[1])
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "MATCHING_TEXT_MODEL is set to '/srv/models/all-MiniLM-L6-v2' but "
        "sentence-transformers is not installed; text similarity uses TF-IDF."
    ]
    assert not TextEmbedding.objects.exists()
