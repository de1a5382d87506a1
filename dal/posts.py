"""Posts: who may see, write, change and delete them, and the queries behind the pages and API.

Rules: anyone reads published posts; a draft exists only for its author and admins (404 for
everyone else, so draft ids do not leak); only a signed-in user writes, always as themselves;
only the author or an admin changes or deletes (others: 403 on a published post, 404 on a draft).

The body is rendered (safe HTML and a plain-text excerpt) when it is written, off the event
loop and within core.markdown's time limit; a body that cannot be rendered in time is refused
(400 on body) and nothing changes. Reading a post never renders anything.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, StrictBool, field_validator
from sqlalchemy import Select, and_, bindparam, func, select

from core import markdown
from core.validation import has_control_characters
from dal import changes as live_changes
from dal import db
from dal.dto import AuthorDTO, PostDTO, PostPage, UserDTO, iso
from dal.errors import Forbidden, Invalid, NotFound
from dal.ids import MAX_ID, parse_id
from dal.users import avatar_url
from models import Post, User

MAX_TITLE = 200
MAX_BODY = 100_000
MAX_PER_PAGE = 100
NOT_FOUND = "Post not found"
TOO_COMPLEX = "This post is too complex to display: simplify its formatting."


def _title(value: str) -> str:
    title = " ".join(value.split())
    if not title:
        raise ValueError("Enter a title.")
    if has_control_characters(title):
        raise ValueError("The title must not contain control characters.")
    if len(title) > MAX_TITLE:
        raise ValueError(f"The title must be at most {MAX_TITLE} characters.")
    return title


def _body(value: str) -> str:
    if has_control_characters(value, allowed="\t\n\r"):
        raise ValueError("The text must not contain control characters other than tabs and line breaks.")
    if len(value) > MAX_BODY:
        raise ValueError(f"The text must be at most {MAX_BODY:,} characters.")
    return value


class PostInput(BaseModel):
    """A whole post (POST and PUT). author_id and other extra fields are ignored."""

    model_config = ConfigDict(extra="ignore")
    MISSING: ClassVar[dict[str, str]] = {"title": "Enter a title."}  # core.validation.parse
    title: str
    body: str
    published: StrictBool = False

    _title = field_validator("title")(_title)
    _body = field_validator("body")(_body)


class PostChanges(BaseModel):
    """Some fields of a post (PATCH)."""

    model_config = ConfigDict(extra="ignore")
    title: str | None = None
    body: str | None = None
    published: StrictBool | None = None

    @field_validator("title")
    @classmethod
    def _check_title(cls, value: str | None) -> str | None:
        return None if value is None else _title(value)

    @field_validator("body")
    @classmethod
    def _check_body(cls, value: str | None) -> str | None:
        return None if value is None else _body(value)


MAX_PAGE = 1_000_000


class ListQuery(BaseModel):
    page: int = 1
    per_page: int = 20
    author: int | None = None

    @field_validator("author")
    @classmethod
    def _author(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= MAX_ID:
            raise ValueError("The author must be a user id.")
        return value

    @field_validator("page")
    @classmethod
    def _page(cls, value: int) -> int:
        if not 1 <= value <= MAX_PAGE:
            raise ValueError(f"The page must be between 1 and {MAX_PAGE:,}.")
        return value

    @field_validator("per_page")
    @classmethod
    def _per_page(cls, value: int) -> int:
        if not 1 <= value <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}.")
        return value


def _may_manage(viewer: UserDTO | None, post: Post) -> bool:
    return viewer is not None and (viewer.id == post.author_id or viewer.is_admin)


async def _rendered(body: str) -> dict[str, str]:
    """The columns derived from body: {"html": ..., "excerpt": ...}."""
    await db.give_back_reads()  # rendering may take a while: the connection waits in the pool
    try:
        rendered = await markdown.render(body)
    except markdown.TooComplex:
        raise Invalid("body", TOO_COMPLEX) from None
    return {"html": rendered.html, "excerpt": rendered.excerpt}


def _topics(post: Post) -> tuple[str, ...]:
    """What a change to post touches (dal.changes): the lists, the post, its author's list."""
    return ("posts", f"post:{post.id}", f"author:{post.author_id}")


def can_edit(viewer: UserDTO | None, post: PostDTO) -> bool:
    """For pages deciding whether to show Edit and Delete (the DAL checks again on write)."""
    return viewer is not None and (viewer.id == post.author.id or viewer.is_admin)


# The lists' statements, built once (a page of rows, and its count). Which one runs is the
# authorization rule, decided in list_posts: drafts only in an author's own list (or an admin's).
# Lists show excerpts: the rendered bodies stay in the database.
_LISTED = (
    Post.id,
    Post.title,
    Post.body,
    Post.published,
    Post.created_at,
    Post.updated_at,
    Post.excerpt,
    Post.author_id,
    User.name.label("author_name"),
    User.avatar.label("author_avatar"),
)


def _list_statements(condition) -> tuple[Select, Select]:  # noqa: ANN001
    rows = select(*_LISTED).join(User, Post.author_id == User.id).where(condition)
    page = (
        rows.order_by(Post.created_at.desc(), Post.id.desc())
        .offset(bindparam("skip"))
        .limit(bindparam("take"))
    )
    return page, select(func.count()).select_from(rows.subquery())


PUBLISHED = _list_statements(Post.published.is_(True))
AUTHORS_PUBLISHED = _list_statements(and_(Post.author_id == bindparam("author"), Post.published.is_(True)))
AUTHORS_ALL = _list_statements(Post.author_id == bindparam("author"))  # drafts included
ONE_POST = (
    select(*_LISTED, Post.html).join(User, Post.author_id == User.id).where(Post.id == bindparam("post_id"))
)


def _from_row(row, *, with_html: bool = False) -> PostDTO:  # noqa: ANN001
    return PostDTO(
        id=row.id,
        title=row.title,
        body=row.body,
        published=row.published,
        created_at=iso(row.created_at),
        updated_at=iso(row.updated_at),
        author=AuthorDTO(id=row.author_id, name=row.author_name),
        author_avatar_url=avatar_url(row.author_avatar),
        excerpt=row.excerpt,
        html=row.html if with_html else None,
    )


async def list_posts(viewer: UserDTO | None, query: ListQuery) -> PostPage:
    """Published posts, newest first. With author=the viewer (or any author, for an admin)
    that author's drafts are included too."""
    params = {"skip": (query.page - 1) * query.per_page, "take": query.per_page}
    if query.author is None:
        page, count = PUBLISHED
    else:
        params["author"] = query.author
        own = viewer is not None and (viewer.id == query.author or viewer.is_admin)
        page, count = AUTHORS_ALL if own else AUTHORS_PUBLISHED
    posts = [_from_row(row) for row in await db.fetch(page, params)]
    if query.page == 1 and len(posts) < query.per_page:
        total = len(posts)  # the whole list fits on the first page: no COUNT needed
    else:
        total = (await db.fetch_one(count, params))[0] or 0
    return PostPage(posts=posts, page=query.page, per_page=query.per_page, total=total)


async def _load(session, viewer: UserDTO | None, post_id: int) -> tuple[Post, User]:  # noqa: ANN001
    row = (
        await session.execute(
            select(Post, User).join(User, Post.author_id == User.id).where(Post.id == post_id)
        )
    ).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    post, author = row
    if not post.published and not _may_manage(viewer, post):
        raise NotFound(NOT_FOUND)  # a draft does not exist for anyone else
    return post, author


async def _load_for_change(session, viewer: UserDTO, post_id: int) -> tuple[Post, User]:  # noqa: ANN001
    post, author = await _load(session, viewer, post_id)
    if not _may_manage(viewer, post):
        raise Forbidden("Only the author or an admin can change this post")
    return post, author


async def get_post(viewer: UserDTO | None, post_id: int | str) -> PostDTO:
    """One post as the viewer may see it (an id from a URL is checked here: junk is NotFound;
    a draft is NotFound for anyone but its author and admins)."""
    row = await db.fetch_one(ONE_POST, {"post_id": parse_id(post_id, NOT_FOUND)})
    if row is None:
        raise NotFound(NOT_FOUND)
    if not row.published and not (viewer is not None and (viewer.id == row.author_id or viewer.is_admin)):
        raise NotFound(NOT_FOUND)  # a draft does not exist for anyone else
    return _from_row(row, with_html=True)


async def create_post(viewer: UserDTO, data: PostInput) -> PostDTO:
    """A new post by the viewer, whatever else the request says."""
    rendered = await _rendered(data.body)
    async with db.session() as session:
        post = Post(
            author_id=viewer.id, title=data.title, body=data.body, published=data.published, **rendered
        )
        session.add(post)
        await session.flush()
        live_changes.announce(session, *_topics(post))
        await session.commit()
    return await get_post(viewer, post.id)


async def update_post(viewer: UserDTO, post_id: int | str, changes: PostInput | PostChanges) -> PostDTO:
    post_id = parse_id(post_id, NOT_FOUND)
    values = changes.model_dump(exclude_none=True)
    if "body" in values:
        async with db.read() as session:
            await _load_for_change(session, viewer, post_id)  # refuse before spending a render
        values.update(await _rendered(values["body"]))
    async with db.session() as session:
        post, _author = await _load_for_change(session, viewer, post_id)
        for name, value in values.items():
            setattr(post, name, value)
        live_changes.announce(session, *_topics(post))
        await session.commit()
    return await get_post(viewer, post_id)


async def delete_post(viewer: UserDTO, post_id: int | str) -> None:
    async with db.session() as session:
        post, _author = await _load_for_change(session, viewer, parse_id(post_id, NOT_FOUND))
        live_changes.announce(session, *_topics(post))
        await session.delete(post)
        await session.commit()
