"""System checks of the evaluations app, run at start-up and by `manage.py check`."""

from django.core.checks import Error, Tags, register

from evaluations.services.excel import check_openpyxl_uses_defusedxml


@register(Tags.security)
def openpyxl_defusedxml_check(app_configs=None, **kwargs):
    """perfeval.E001: uploaded workbooks are XML from strangers; without
    defusedxml openpyxl would expand entities (billion laughs) and the upload
    refuses every file, so the deployment must be fixed, not discovered."""
    if check_openpyxl_uses_defusedxml():
        return []
    return [
        Error(
            "openpyxl 未通过 defusedxml 解析 XML，上传的 Excel 工作簿无法安全读取。",
            hint="请安装 defusedxml（pyproject.toml 的依赖之一），然后重启服务。",
            id="perfeval.E001",
        )
    ]
