from django.contrib import admin

from mail.models import OutgoingEmail


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "subject", "attempts", "sent_at", "due_at"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["message_id", "subject"]
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
