"""In-memory records of the emulated users, repositories and pull requests.

Git content (blobs, trees, commits, refs) is not kept here: it lives in one
bare repository per emulated repository, and every read goes to git.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .faults import RateLimiter
from .gitrepo import BareRepository

MEBIBYTE = 1024 * 1024

# Access levels, weakest first; "admin" belongs to the owner only.
ACCESS_LEVELS = ("read", "push", "admin")


def utc_now() -> datetime:
    """Return the current time in UTC, to the second as GitHub reports it."""
    return datetime.now(timezone.utc).replace(microsecond=0)


@dataclass
class User:
    """A GitHub account; organisations created as fork targets are users too."""

    login: str
    id: int
    name: str
    email: str
    created_at: datetime = field(default_factory=utc_now)


@dataclass
class Repository:
    """A GitHub repository backed by the bare git repository GIT.

    COLLABORATORS maps lower-case logins to "push" or "read". PARENT is the
    repository this one was forked from, or None.
    """

    owner: User
    name: str
    id: int
    git: BareRepository
    private: bool
    default_branch: str
    collaborators: dict[str, str]
    parent: Repository | None = None
    description: str = ""
    created_at: datetime = field(default_factory=utc_now)

    @property
    def full_name(self) -> str:
        """The ``owner/name`` form GitHub uses in URLs and labels."""
        return f"{self.owner.login}/{self.name}"

    @property
    def source(self) -> Repository:
        """The root of the fork network this repository belongs to."""
        repository = self
        while repository.parent is not None:
            repository = repository.parent
        return repository


@dataclass
class PullRequest:
    """A pull request from HEAD_REF of HEAD_REPO into BASE_REF of BASE_REPO.

    HEAD_SHA and BASE_SHA are the branch tips seen at the last refresh. While
    the pull request is open they follow the branches, as on GitHub.
    """

    number: int
    id: int
    base_repo: Repository
    base_ref: str
    head_repo: Repository
    head_ref: str
    user: User
    title: str
    body: str | None
    head_sha: str
    base_sha: str
    state: str = "open"
    draft: bool = False
    maintainer_can_modify: bool = False
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)
    closed_at: datetime | None = None

    @property
    def head_label(self) -> str:
        """The ``owner:branch`` form GitHub shows for the head."""
        return f"{self.head_repo.owner.login}:{self.head_ref}"

    @property
    def base_label(self) -> str:
        """The ``owner:branch`` form GitHub shows for the base."""
        return f"{self.base_repo.owner.login}:{self.base_ref}"


class EmulatorState:
    """Users, tokens, repositories and pull requests of one emulator.

    LOCK serialises every request and every test helper call, because git
    refs and these records must change together.
    """

    def __init__(self, root: Path, *, max_file_size: int, inline_content_limit: int) -> None:
        self.root = root
        self.base_url = ""
        self.max_file_size = max_file_size
        self.inline_content_limit = inline_content_limit
        # Entries of a recursive tree listing above which it is truncated; None lists every entry.
        self.tree_entry_limit: int | None = None
        self.lock = threading.RLock()
        self.rate_limiter = RateLimiter()
        self._users: dict[str, User] = {}
        self._tokens: dict[str, User] = {}
        self._repositories: dict[tuple[str, str], Repository] = {}
        self._pulls: dict[int, list[PullRequest]] = {}
        self._next_user_id = 1
        self._next_repository_id = 1
        self._next_pull_id = 1

    # -- users ------------------------------------------------------------

    def add_user(self, login: str, token: str | None, name: str | None = None,
                 email: str | None = None) -> User:
        """Register LOGIN, or add TOKEN to an existing LOGIN, and return the user."""
        user = self._users.get(login.lower())
        if user is None:
            user = User(login=login, id=self._next_user_id, name=name or login,
                        email=email or f"{login}@users.noreply.example")
            self._next_user_id += 1
            self._users[login.lower()] = user
        if token is not None:
            self._tokens[token] = user
        return user

    def find_user(self, login: str) -> User | None:
        """Return the user named LOGIN (case-insensitive), or None."""
        return self._users.get(login.lower())

    def user_for_token(self, token: str) -> User | None:
        """Return the user that TOKEN authenticates, or None."""
        return self._tokens.get(token)

    def user_for_email(self, email: str) -> User | None:
        """Return the user whose email is EMAIL, to link commits to accounts."""
        for user in self._users.values():
            if user.email.lower() == email.lower():
                return user
        return None

    # -- repositories -----------------------------------------------------

    def add_repository(self, owner: User, name: str, git: BareRepository, *, private: bool,
                       default_branch: str, collaborators: dict[str, str],
                       parent: Repository | None = None, description: str = "") -> Repository:
        """Record a repository whose bare git repository already exists."""
        repository = Repository(
            owner=owner, name=name, id=self._next_repository_id, git=git, private=private,
            default_branch=default_branch,
            collaborators={login.lower(): level for login, level in collaborators.items()},
            parent=parent, description=description,
        )
        self._next_repository_id += 1
        self._repositories[(owner.login.lower(), name.lower())] = repository
        return repository

    def find_repository(self, owner: str, name: str) -> Repository | None:
        """Return OWNER/NAME (case-insensitive, as on GitHub), or None."""
        return self._repositories.get((owner.lower(), name.lower()))

    def all_repositories(self) -> list[Repository]:
        """Return every repository, in creation order."""
        return list(self._repositories.values())

    def repositories_owned_by(self, owner: User) -> list[Repository]:
        """Return the repositories whose owner is OWNER."""
        return [repo for repo in self._repositories.values() if repo.owner is owner]

    def bare_path_for(self, owner: str, name: str) -> Path:
        """Return where the bare repository of OWNER/NAME lives on disk."""
        return self.root / "repositories" / owner.lower() / f"{name.lower()}.git"

    def access_level(self, repository: Repository, user: User | None) -> str | None:
        """Return "admin", "push", "read" or None for USER on REPOSITORY.

        Anyone, even anonymous, may read a public repository. A private one is
        visible to its owner and collaborators only.
        """
        if user is not None and user is repository.owner:
            return "admin"
        if user is not None and user.login.lower() in repository.collaborators:
            return repository.collaborators[user.login.lower()]
        if not repository.private:
            return "read"
        return None

    def has_access(self, repository: Repository, user: User | None, level: str) -> bool:
        """Return whether USER has at least LEVEL ("read", "push", "admin") on REPOSITORY."""
        actual = self.access_level(repository, user)
        if actual is None:
            return False
        return ACCESS_LEVELS.index(actual) >= ACCESS_LEVELS.index(level)

    # -- pull requests ----------------------------------------------------

    def pulls_of(self, repository: Repository) -> list[PullRequest]:
        """Return the pull requests whose base is REPOSITORY, oldest first."""
        return self._pulls.setdefault(repository.id, [])

    def add_pull(self, **fields) -> PullRequest:
        """Record a new pull request numbered after the last one of its base repository."""
        pulls = self.pulls_of(fields["base_repo"])
        pull = PullRequest(number=len(pulls) + 1, id=self._next_pull_id, **fields)
        self._next_pull_id += 1
        pulls.append(pull)
        return pull
