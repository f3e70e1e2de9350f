"""The AppID/AppSecret check shared by /cgi-bin/token and /sns/oauth2/access_token, with WeChat's errcodes."""

from .errors import WeChatError


def check_app_credentials(args, settings) -> None:
    """41002 no appid, 40013 wrong appid, 41004 no secret, 40125 wrong secret."""
    if not args.get("appid"):
        raise WeChatError(41002)
    if args["appid"] != settings.app_id:
        raise WeChatError(40013)
    if not args.get("secret"):
        raise WeChatError(41004)
    if args["secret"] != settings.app_secret:
        raise WeChatError(40125)
