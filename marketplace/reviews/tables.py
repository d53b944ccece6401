"""Reviews (oplevelser): "Did you feel helped?" from citizens with a started or ended enrolment."""
from enum import Enum

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from marketplace.enrolments.tables import Enrolment
from marketplace.providers.tables import Provider


class Review(Table):
    """One per enrolment. The rating counts at once; the text is public only after moderation."""

    class TextStatus(str, Enum):
        none = "none"
        pending = "pending"
        published = "published"
        rejected = "rejected"

    enrolment = ForeignKey(references=Enrolment, unique=True)
    provider = ForeignKey(references=Provider, index=True)
    rating = Integer(help_text="1-5: Følte du dig hjulpet?")
    text = Text()
    text_status = Varchar(length=20, choices=TextStatus, default=TextStatus.none, index=True)
    moderation_reason = Text()
    reply = Text(help_text="The provider's one public reply")
    reply_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
