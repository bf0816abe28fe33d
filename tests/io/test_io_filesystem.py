"""Path resolution: files, directories, globs, lists, memory://, and clear errors."""

import fsspec
import pyarrow.fs as pafs
import pytest

from kyudo.io.filesystem import resolve_files, to_arrow_filesystem


def _touch(path, data=b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def tree(tmp_path):
    for name in ["b.parquet", "a.parquet", "sub/c.parquet", "_SUCCESS", ".hidden.crc",
                 "_temporary/x.parquet", "other.csv"]:
        _touch(tmp_path / name)
    return tmp_path


def _names(resolved, root):
    return [f.path[len(str(root)) + 1:] for f in resolved.files]


def test_directory_is_recursive_sorted_and_skips_hidden(tree):
    resolved = resolve_files(str(tree))
    assert _names(resolved, tree) == ["a.parquet", "b.parquet", "other.csv", "sub/c.parquet"]
    assert all(f.base_dir == str(tree) for f in resolved.files)
    assert all(f.size == 1 for f in resolved.files)


def test_single_file_and_pathlib(tree):
    resolved = resolve_files(tree / "a.parquet")
    assert _names(resolved, tree) == ["a.parquet"]
    assert resolved.files[0].base_dir is None


def test_glob_keeps_matches_only(tree):
    resolved = resolve_files(str(tree / "**" / "*.parquet"))
    assert _names(resolved, tree) == ["a.parquet", "b.parquet", "sub/c.parquet"]
    assert resolved.files[0].base_dir == str(tree)


def test_list_mixes_kinds_and_deduplicates(tree):
    resolved = resolve_files([str(tree / "b.parquet"), str(tree / "sub"), str(tree / "b.parquet")])
    assert _names(resolved, tree) == ["b.parquet", "sub/c.parquet"]


def test_memory_protocol_and_storage_options(memory_root):
    fs, root = memory_root
    fs.pipe(f"{root}/x/1.parquet", b"abc")
    resolved = resolve_files(f"memory://{root}/x", storage_options={})
    assert [f.path for f in resolved.files] == [f"{root}/x/1.parquet"]
    assert resolved.files[0].size == 3
    assert isinstance(to_arrow_filesystem(resolved.fs), pafs.PyFileSystem)


def test_explicit_filesystem_fsspec_or_pyarrow(tree):
    local = fsspec.filesystem("file")
    assert _names(resolve_files(str(tree / "sub"), filesystem=local), tree) == ["sub/c.parquet"]
    wrapped = resolve_files(str(tree / "sub"), filesystem=pafs.LocalFileSystem())
    assert _names(wrapped, tree) == ["sub/c.parquet"]
    assert isinstance(to_arrow_filesystem(wrapped.fs), pafs.LocalFileSystem)


def test_local_uses_native_arrow_filesystem():
    assert isinstance(to_arrow_filesystem(fsspec.filesystem("file")), pafs.LocalFileSystem)


@pytest.mark.parametrize(
    "relative, message",
    [("nope.parquet", "path does not exist"), ("*.orc", "glob matches no files")],
)
def test_missing_paths_are_named(tree, relative, message):
    with pytest.raises(FileNotFoundError, match=message) as info:
        resolve_files(str(tree / relative))
    assert relative in str(info.value)


def test_empty_directory_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    _touch(tmp_path / "empty" / "_SUCCESS")
    with pytest.raises(FileNotFoundError, match="no data files.*empty"):
        resolve_files(str(tmp_path / "empty"))


def test_bad_arguments():
    with pytest.raises(ValueError, match="empty list"):
        resolve_files([])
    with pytest.raises(TypeError):
        resolve_files(42)
    with pytest.raises(ValueError, match="not both"):
        resolve_files("/x", storage_options={"a": 1}, filesystem=fsspec.filesystem("file"))
