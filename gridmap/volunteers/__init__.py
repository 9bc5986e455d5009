"""Party members and volunteers in the community 在职党员进社区 / 志愿服务 (issue 15): members of the register sign up
for posts a community publishes (契约化选岗), check in and out at the place on a phone, and earn points under a points
scheme 积分制 kept as data; a quarterly ranking praises the top."""

from gridmap.volunteers.points import ranking, ranking_seen_by, standing
from gridmap.volunteers.register import close_post, enrol, my_posts, publish_post, sign_up
from gridmap.volunteers.reviews import rate
from gridmap.volunteers.scheme import current_scheme, save_scheme
from gridmap.volunteers.service import check_in, check_out, confirm, confirm_many

__all__ = [
    "check_in", "check_out", "close_post", "confirm", "confirm_many", "current_scheme", "enrol", "my_posts",
    "publish_post", "ranking", "ranking_seen_by", "rate", "save_scheme", "sign_up", "standing",
]  # fmt: skip
