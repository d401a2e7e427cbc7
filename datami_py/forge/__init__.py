"""Proposals: a change set turned into a branch with one commit, and on GitHub a pull request.

:mod:`.naming` names the branch, :mod:`.merge` merges a table three ways by primary key
when the file moved upstream, :mod:`.proposal` gathers the saved edits and writes the
description, and :mod:`.local` commits the proposal in the local git repository.
"""
