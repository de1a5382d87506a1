"""Migration 0006 renders the stored posts again, so that their headings start below the
title (h2 and down): posts stored with the old levels (an <h1> of their own) get the new
ones; downgrading keeps every post. Both databases."""

import pytest

from tests.dbutil import BACKENDS, alembic, fresh_database, run_async
from tests.test_migration_0005 import NOW, execute, query

POSTS = 250  # more than one batch of 200


def seed_old_posts(url: str) -> None:
    """Posts as the code before 0006 stored them: `# ...` rendered as <h1>."""
    run_async(
        lambda: execute(
            url,
            "INSERT INTO users (id, name, email, password_hash, created_at, updated_at) "
            f"VALUES (1, 'x', 'x@example.com', 'x', {NOW}, {NOW})",
        )
    )
    posts = [
        {
            "id": i,
            "body": f"# Post {i}\n\n## Part\n\n###### Deep",
            "html": f"<h1>Post {i}</h1>\n<h2>Part</h2>\n<h6>Deep</h6>\n",
            "excerpt": f"Post {i} Part Deep",
        }
        for i in range(1, POSTS + 1)
    ]
    run_async(
        lambda: execute(
            url,
            "INSERT INTO posts (id, author_id, title, body, html, excerpt, published, created_at, updated_at) "
            f"VALUES (:id, 1, 't', :body, :html, :excerpt, TRUE, {NOW}, {NOW})",
            params=posts,
        )
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_0006_renders_stored_posts_with_headings_below_the_title(tmp_path, backend):
    with fresh_database(backend, tmp_path) as url:
        assert alembic(url, "upgrade", "0005").returncode == 0
        seed_old_posts(url)
        up = alembic(url, "upgrade", "0006")
        assert up.returncode == 0, up.stderr
        posts = run_async(lambda: query(url, "SELECT id, html, excerpt FROM posts ORDER BY id"))
        assert posts == [
            (i, f"<h2>Post {i}</h2>\n<h3>Part</h3>\n<h6>Deep</h6>\n", f"Post {i} Part Deep")
            for i in range(1, POSTS + 1)
        ]
        assert alembic(url, "downgrade", "0005").returncode == 0
        assert run_async(lambda: query(url, "SELECT count(*) FROM posts WHERE html LIKE '<h2>%'")) == [
            (POSTS,)
        ]
