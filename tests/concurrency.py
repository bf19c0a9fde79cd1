"""Real threads against the database, for the concurrency tests on PostgreSQL."""

import threading

from django.db import connection


def run_threads(n: int, target, *, each: int = 1) -> tuple[list, list]:
    """Start ``n`` threads that wait for each other, then each call ``target(i)`` ``each`` times
    (``i`` numbering every call). Returns the results and the exceptions raised. Each thread closes
    its own database connection when it ends: PostgreSQL allows 100, shared with other test runs."""
    results, errors = [], []
    barrier = threading.Barrier(n)
    lock = threading.Lock()

    def work(i):
        try:
            barrier.wait()
            for j in range(each):
                try:
                    outcome = target(i * each + j)
                except Exception as exc:  # surfaced by the test
                    with lock:
                        errors.append(exc)
                else:
                    with lock:
                        results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors
