"""The password hasher: Argon2id with OWASP's current minimum parameters.

Django's Argon2PasswordHasher defaults to memory 100 MiB, 2 passes and 8 lanes: each check costs
~170 ms of CPU on this 2-core server, so a sign-in surge of officers saturates it. OWASP's Password
Storage Cheat Sheet lists equally strong Argon2id settings; its first, memory 19 MiB, 2 passes,
1 lane, is the one chosen here. What protects a stolen hash is the memory an attacker's GPU or
ASIC must give each guess (19 MiB still defeats their wide parallelism), not the lanes, which
only let one defender check use more cores. Hashes made with other parameters are rehashed at
the next successful sign-in (Django's must_update, as the algorithm name stays "argon2").
"""
from django.contrib.auth.hashers import Argon2PasswordHasher


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id, m=19 MiB, t=2, p=1 (OWASP Password Storage Cheat Sheet)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
