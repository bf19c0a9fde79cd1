from django import forms
from django.utils import timezone

from xiangzhi.gridwork.models import VisitOutcome


class VisitForm(forms.Form):
    outcome = forms.ChoiceField(label="走访结果", choices=VisitOutcome.choices,
                                widget=forms.RadioSelect(attrs={"class": "btn-check"}),
                                initial=VisitOutcome.NORMAL)
    visited_at = forms.DateTimeField(label="走访时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                               format="%Y-%m-%dT%H:%M"))
    place = forms.CharField(label="地点", max_length=200, required=False,
                            widget=forms.TextInput(attrs={"placeholder": "如：家中、村委会、田间"}))
    notes = forms.CharField(label="走访情况", max_length=2000, required=False,
                            widget=forms.Textarea(attrs={"rows": 4, "placeholder": "本人近况、诉求、发现的问题"}))
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        for name, field in self.fields.items():
            if name != "outcome" and not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs.setdefault("class", "form-control")
