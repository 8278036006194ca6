"""Template helpers of the departments app: what the navigation may offer."""

from django import template

from departments.selectors import user_is_admin

register = template.Library()


@register.simple_tag
def is_admin(user):
    """A bureau administrator (admin role or superuser): sees 用户管理."""
    return user_is_admin(user=user)
