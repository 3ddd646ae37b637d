from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "ai"
    verbose_name = "AI assistant"

    def ready(self):
        from deviations.suggestions import register_suggestion_page

        # The report form's severity field (`suggest: severity`) asks this page for its suggestion.
        register_suggestion_page("severity", "ai:deviation-suggest-severity")
