"""What the hostile-input tests share: a one-line story file (each test's own state folder comes from the
root conftest)."""
import pytest

STORY = "The Visit\n\nMara opened the door. \u201cYou came,\u201d she said.\n"


@pytest.fixture
def story(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text(STORY, encoding="utf-8")
    return path
