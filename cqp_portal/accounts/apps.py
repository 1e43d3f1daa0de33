from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cqp_portal.accounts"
    label = "accounts"
    verbose_name = "Accounts"
