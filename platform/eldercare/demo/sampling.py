"""Weighted choices that the standard library lacks."""
import heapq
import random


def weighted_sample(rng: random.Random, population: list, weights: list[float], k: int) -> list:
    """`k` distinct members drawn with probability proportional to weight (Efraimidis-Spirakis), in draw order."""
    keyed = ((rng.random() ** (1.0 / w), i) for i, w in enumerate(weights))
    return [population[i] for _, i in heapq.nlargest(k, keyed)]
