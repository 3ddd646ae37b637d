"""The chat page's form (shape only)."""

from django import forms


class ChatForm(forms.Form):
    message = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), label="Ask")
    context_documents = forms.MultipleChoiceField(
        required=False,
        label="About these documents (none: the best matches)",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args, documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["context_documents"].choices = [(str(d.pk), f"{d.number} {d.title}") for d in documents]
