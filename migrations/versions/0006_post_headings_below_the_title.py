"""Posts' headings start below the title: the stored HTML rendered again.

core.markdown now renders a body's `# Heading` as <h2> (and so on down to <h6>), so that the
post's title stays the page's only <h1>. The HTML stored before was rendered with the old
levels: every post is rendered again from its Markdown body, batch by batch.

Downgrading changes nothing: the schema is the same, and the older code shows the
shifted headings as they are.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from alembic import op

from migrations import rendered_posts

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rendered_posts.render_all(op.get_bind())


def downgrade() -> None:
    pass
