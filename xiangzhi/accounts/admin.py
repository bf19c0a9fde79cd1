from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db.models import Q
from django.template.response import TemplateResponse

from xiangzhi.accounts.admin_scope import AuditedAdmin, ScopedAdmin
from xiangzhi.accounts.models import GRID_ROLES, REGION_LEVEL_FOR_ROLE, REGION_ROLES, ApiToken, Role, User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.accounts.selectors import account_list_for, account_q_for
from xiangzhi.accounts.services import (
    account_password_reset,
    account_password_set_by_admin,
    api_token_revoke,
    api_tokens_revoke_all,
)
from xiangzhi.regions.models import GridAssignment

# Only a superuser grants or takes away privileges. A county admin cannot give anyone admin-site access
# (is_staff) either: new county admins get it from a superuser.
PRIVILEGE_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions", "last_login", "date_joined")
LEVEL_NAMES = {"county": "县（区）", "township": "乡镇（街道）", "village": "村（社区）"}


class AccountFormRules:
    """Server-side checks shared by the add and change forms; ``editor`` is the signed-in admin."""

    editor = None

    def clean_phone(self):
        phone = (self.cleaned_data.get("phone") or "").strip()
        if phone and not (phone.isdigit() and len(phone) == 11 and phone.startswith("1")):
            raise forms.ValidationError("手机号应为11位数字")
        return phone

    def clean(self):
        data = super().clean()
        role = data.get("role", getattr(self.instance, "role", None))
        region = data.get("region")
        if role in REGION_ROLES:
            if region is None:
                self.add_error("region", "该角色须选择管辖区域")
            elif region.level != REGION_LEVEL_FOR_ROLE[role]:
                self.add_error("region", f"「{Role(role).label}」应挂在{LEVEL_NAMES[REGION_LEVEL_FOR_ROLE[role]]}上")
        if role == Role.DEPARTMENT_STAFF and data.get("department") is None:
            self.add_error("department", "职能部门人员须选择所属部门")
        if role == Role.RESIDENT and data.get("household") is None and "household" in self.fields:
            self.add_error("household", "村民账号须选择所属户")
        if self.editor is not None and not self.editor.is_superuser and not self.errors:
            self._check_anchor(data, role)
        return data

    def _check_anchor(self, data, role) -> None:
        """A non-superuser may only leave an account somewhere inside his own scope, or he could no longer
        see it: region, department or household (each already limited to the scope), or a grid post there."""
        if data.get("region") or data.get("department") or data.get("household"):
            return
        if self.instance.pk and GridAssignment.objects.filter(scope_of(self.editor).q("grid__path"),
                                                              user_id=self.instance.pk).exists():
            return
        hint = "；网格人员可先挂在所在村上，再到“网格人员”中分配网格" if role in GRID_ROLES else ""
        raise forms.ValidationError(f"账号须挂在本辖区的区域、部门或户上{hint}")


class AccountChangeForm(AccountFormRules, UserChangeForm):
    phone = forms.CharField(label="手机号", required=False, max_length=20,
                            help_text="加密保存。留空则不变；要删除请勾选下面的“清除手机号”。")
    phone_clear = forms.BooleanField(label="清除手机号", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.phone_masked and "phone" in self.fields:
            self.fields["phone"].help_text = f"当前：{self.instance.phone_masked}。" + self.fields["phone"].help_text

    def save(self, commit=True):
        if self.cleaned_data.get("phone_clear"):
            self.instance.set_phone("")
        elif self.cleaned_data.get("phone"):
            self.instance.set_phone(self.cleaned_data["phone"])
        return super().save(commit)


class AccountCreationForm(AccountFormRules, AdminUserCreationForm):
    phone = forms.CharField(label="手机号", required=False, max_length=20)

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "full_name", "role", "region", "department", "household")

    def save(self, commit=True):
        self.instance.set_phone(self.cleaned_data.get("phone", ""))
        return super().save(commit)


@admin.register(User)
class UserAdmin(BaseUserAdmin, ScopedAdmin):
    form = AccountChangeForm
    add_form = AccountCreationForm
    list_display = ("username", "full_name", "role", "region", "department", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "full_name")
    autocomplete_fields = ("region", "department")
    raw_id_fields = ("household",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("角色与范围", {"fields": ("full_name", "phone", "phone_clear", "role", "region", "department", "household",
                                   "must_change_password")}),
        ("微信", {"fields": ("wechat_openid",)}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        ("角色与范围", {"fields": ("full_name", "phone", "role", "region", "department", "household")}),
    )
    actions = ["reset_password", "revoke_tokens"]

    def scope_q(self, request) -> Q:
        return account_q_for(request.user)

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else readonly + PRIVILEGE_FIELDS

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"editor": request.user})

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            account = self.get_object(request, unquote(id))
            if account is not None:
                account_password_set_by_admin(user=account, actor=request.user)
        return response

    @admin.action(description="重置密码（生成临时密码，下次登录须修改）", permissions=["change"])
    def reset_password(self, request, queryset):
        rows = []
        for account in queryset.order_by("username"):
            rows.append((account, account_password_reset(user=account)))
            self.log_change(request, account, "重置了密码并吊销了全部令牌")
        response = TemplateResponse(request, "admin/accounts/user/password_reset_done.html", {
            **self.admin_site.each_context(request), "title": "临时密码", "opts": self.opts, "rows": rows,
        })
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="吊销全部 API 令牌", permissions=["change"])
    def revoke_tokens(self, request, queryset):
        count = sum(api_tokens_revoke_all(user=account) for account in queryset)
        self.message_user(request, f"已吊销 {count} 个令牌")


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin):
    list_display = ("prefix", "user", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_select_related = ("user",)
    readonly_fields = ("user", "digest", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    actions = ["revoke"]

    def scope_q(self, request) -> Q:
        return Q(user__in=account_list_for(request.user))

    def has_add_permission(self, request):
        return False

    @admin.action(description="吊销所选令牌", permissions=["change"])
    def revoke(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            api_token_revoke(token=token)
        self.message_user(request, f"已吊销 {len(tokens)} 个令牌")


# Groups carry permissions (the reveal among them): their changes go into the audit trail like the rest.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, AuditedAdmin):
    pass
