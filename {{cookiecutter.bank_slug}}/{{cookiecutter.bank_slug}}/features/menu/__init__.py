"""The custom menu (自定义菜单): versions edited and published from the admin panel, and `flask wechat push-menu`
(the newest published version, else WECHAT_MENU_FILE, else the default menu)."""

from ...feature import Feature

feature = Feature(
    name="menu",
    package=__name__,
    models=(".models",),
    admin=(".admin",),
    cli=("wechat .cli:push_menu",),
)
