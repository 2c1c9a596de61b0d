"""Word lists the demo draws from: places, names, skills and phrases.

Hand-written, so the demo needs no name generator and stays the same on every machine.
Each place carries the names, languages and time zone of the people who live there.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    city: str
    country: str  # ISO 3166-1 alpha-2
    time_zone: str  # IANA name
    languages: tuple[str, ...]  # ISO 639-1, most spoken first
    women: tuple[str, ...]
    men: tuple[str, ...]
    family_names: tuple[str, ...]


PLACES: tuple[Place, ...] = (
    Place(
        "Lagos", "NG", "Africa/Lagos", ("en", "yo"),
        ("Adaeze", "Funmilayo", "Chiamaka", "Ngozi", "Temitope"),
        ("Oluwaseun", "Chinedu", "Emeka", "Babatunde", "Ifeanyi"),
        ("Okafor", "Adeyemi", "Balogun", "Eze", "Nwosu", "Olawale"),
    ),
    Place(
        "Nairobi", "KE", "Africa/Nairobi", ("sw", "en"),
        ("Wanjiru", "Achieng", "Nyambura", "Zawadi", "Akinyi"),
        ("Kamau", "Otieno", "Mwangi", "Kiprono", "Baraka"),
        ("Njoroge", "Odhiambo", "Wekesa", "Chebet", "Mutua", "Kariuki"),
    ),
    Place(
        "Cairo", "EG", "Africa/Cairo", ("ar", "en"),
        ("Nour", "Yasmin", "Salma", "Mariam", "Habiba"),
        ("Omar", "Karim", "Youssef", "Tarek", "Mostafa"),
        ("Hassan", "El-Sayed", "Farouk", "Mahmoud", "Abdelrahman", "Soliman"),
    ),
    Place(
        "Johannesburg", "ZA", "Africa/Johannesburg", ("en", "zu", "af"),
        ("Thandiwe", "Lerato", "Naledi", "Anika", "Palesa"),
        ("Sipho", "Thabo", "Pieter", "Lwazi", "Bongani"),
        ("Dlamini", "Nkosi", "van der Merwe", "Mokoena", "Khumalo", "Botha"),
    ),
    Place(
        "Berlin", "DE", "Europe/Berlin", ("de", "en"),
        ("Lena", "Johanna", "Katharina", "Mia", "Sophie"),
        ("Jonas", "Lukas", "Felix", "Matthias", "Tobias"),
        ("Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Yilmaz"),
    ),
    Place(
        "Lisbon", "PT", "Europe/Lisbon", ("pt", "en"),
        ("Inês", "Beatriz", "Mariana", "Leonor", "Carolina"),
        ("João", "Tiago", "Duarte", "Rui", "Miguel"),
        ("Silva", "Ferreira", "Costa", "Carvalho", "Sousa", "Martins"),
    ),
    Place(
        "Madrid", "ES", "Europe/Madrid", ("es", "en"),
        ("Lucía", "Carmen", "Paula", "Elena", "Marta"),
        ("Javier", "Álvaro", "Pablo", "Sergio", "Diego"),
        ("García", "Fernández", "López", "Martín", "Sánchez", "Romero"),
    ),
    Place(
        "Lyon", "FR", "Europe/Paris", ("fr", "en"),
        ("Camille", "Chloé", "Manon", "Inès", "Léa"),
        ("Hugo", "Louis", "Mathieu", "Théo", "Antoine"),
        ("Moreau", "Laurent", "Girard", "Bonnet", "Dubois", "Benali"),
    ),
    Place(
        "Manchester", "GB", "Europe/London", ("en",),
        ("Olivia", "Amelia", "Priya", "Niamh", "Grace"),
        ("Oliver", "Harry", "Callum", "Rhys", "Imran"),
        ("Taylor", "Evans", "Walsh", "Khan", "Hughes", "Murphy"),
    ),
    Place(
        "Kraków", "PL", "Europe/Warsaw", ("pl", "en"),
        ("Zofia", "Agnieszka", "Magdalena", "Julia", "Natalia"),
        ("Piotr", "Tomasz", "Kacper", "Michał", "Jakub"),
        ("Nowak", "Kowalska", "Wiśniewski", "Zielińska", "Lewandowski", "Kaczmarek"),
    ),
    Place(
        "São Paulo", "BR", "America/Sao_Paulo", ("pt", "en", "es"),
        ("Ana", "Larissa", "Fernanda", "Gabriela", "Juliana"),
        ("Rafael", "Lucas", "Thiago", "Gustavo", "Bruno"),
        ("Oliveira", "Santos", "Pereira", "Almeida", "Ribeiro", "Nascimento"),
    ),
    Place(
        "Mexico City", "MX", "America/Mexico_City", ("es", "en"),
        ("Ximena", "Valeria", "Guadalupe", "Renata", "Daniela"),
        ("Alejandro", "Emiliano", "Jorge", "Luis", "Santiago"),
        ("Hernández", "Ramírez", "Flores", "Cruz", "Morales", "Vázquez"),
    ),
    Place(
        "Bogotá", "CO", "America/Bogota", ("es", "en"),
        ("Catalina", "Mariana", "Isabella", "Natalia", "Sofía"),
        ("Andrés", "Camilo", "Felipe", "Sebastián", "Mateo"),
        ("Rodríguez", "Gómez", "Restrepo", "Vargas", "Castro", "Ospina"),
    ),
    Place(
        "Montréal", "CA", "America/Toronto", ("fr", "en"),
        ("Émilie", "Geneviève", "Maya", "Noémie", "Aisha"),
        ("Olivier", "Samuel", "Gabriel", "Étienne", "Ravi"),
        ("Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Lefebvre"),
    ),
    Place(
        "Chicago", "US", "America/Chicago", ("en", "es"),
        ("Jasmine", "Emily", "Keisha", "Rachel", "Megan"),
        ("Marcus", "Daniel", "Tyler", "Andre", "Kevin"),
        ("Johnson", "Williams", "Nguyen", "Rivera", "Brooks", "Kowalczyk"),
    ),
    Place(
        "Seattle", "US", "America/Los_Angeles", ("en",),
        ("Hannah", "Mei", "Abigail", "Sarah", "Leilani"),
        ("Ethan", "Noah", "Jamal", "Connor", "Mateo"),
        ("Anderson", "Kim", "Patel", "Thompson", "Yamada", "Reyes"),
    ),
    Place(
        "Bengaluru", "IN", "Asia/Kolkata", ("hi", "en", "kn"),
        ("Ananya", "Priya", "Kavya", "Deepika", "Shreya"),
        ("Arjun", "Rohan", "Vikram", "Karthik", "Aditya"),
        ("Sharma", "Iyer", "Reddy", "Nair", "Gupta", "Rao"),
    ),
    Place(
        "Dubai", "AE", "Asia/Dubai", ("ar", "en", "hi"),
        ("Fatima", "Layla", "Aisha", "Noura", "Reem"),
        ("Ahmed", "Khalid", "Rashid", "Hamdan", "Faisal"),
        ("Al Maktoum", "Al Nuaimi", "Haddad", "Khoury", "Al Falasi", "Saleh"),
    ),
    Place(
        "Tokyo", "JP", "Asia/Tokyo", ("ja", "en"),
        ("Yui", "Haruka", "Aoi", "Sakura", "Misaki"),
        ("Haruto", "Ren", "Kenji", "Takumi", "Daiki"),
        ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito"),
    ),
    Place(
        "Seoul", "KR", "Asia/Seoul", ("ko", "en"),
        ("Ji-woo", "Seo-yeon", "Min-ji", "Ha-eun", "Soo-ah"),
        ("Min-jun", "Ji-ho", "Hyun-woo", "Do-yoon", "Seung-min"),
        ("Kim", "Lee", "Park", "Choi", "Jung", "Kang"),
    ),
    Place(
        "Singapore", "SG", "Asia/Singapore", ("en", "zh", "ms", "ta"),
        ("Wei Ling", "Siti", "Divya", "Hui Min", "Nurul"),
        ("Jun Jie", "Hafiz", "Ganesh", "Wei Ming", "Daniel"),
        ("Tan", "Lim", "Ng", "Rahman", "Subramaniam", "Goh"),
    ),
    Place(
        "Jakarta", "ID", "Asia/Jakarta", ("id", "en"),
        ("Putri", "Dewi", "Ayu", "Sari", "Intan"),
        ("Budi", "Agus", "Rizky", "Arif", "Dimas"),
        ("Wijaya", "Santoso", "Hidayat", "Kusuma", "Saputra", "Halim"),
    ),
    Place(
        "Ho Chi Minh City", "VN", "Asia/Ho_Chi_Minh", ("vi", "en"),
        ("Linh", "Thảo", "Ngọc", "Hương", "Trang"),
        ("Minh", "Huy", "Khoa", "Tuấn", "Phúc"),
        ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ"),
    ),
    Place(
        "Melbourne", "AU", "Australia/Melbourne", ("en",),
        ("Chloe", "Isla", "Matilda", "Zara", "Georgia"),
        ("Jack", "Lachlan", "Kai", "Hamish", "Nikos"),
        ("Smith", "Papadopoulos", "Wilson", "Nguyen", "O'Brien", "Chen"),
    ),
    Place(
        "Auckland", "NZ", "Pacific/Auckland", ("en", "mi"),
        ("Aroha", "Mere", "Ruby", "Ella", "Anahera"),
        ("Tane", "Wiremu", "Liam", "Finn", "Sione"),
        ("Ngata", "Parata", "Taufa", "Williams", "Walker", "Tupou"),
    ),
)  # fmt: skip

MEMBER_ORGANISATIONS = (
    "Kijani Energy",
    "Solaris Health",
    "Northwind Freight",
    "Aurora Software",
    "Pampas Agritech",
    "Sakura Mobility",
    "Harbourview Bank",
    "Atlas Telecom",
)

DEPARTMENTS = (
    "Engineering",
    "Data",
    "Platform",
    "Product",
    "Design",
    "Security",
    "Operations",
    "Research",
)

MENTOR_TITLES = (
    "Staff engineer",
    "Principal engineer",
    "Engineering manager",
    "Head of data",
    "Senior site reliability engineer",
    "Director of platform",
    "Lead product designer",
    "Security architect",
    "VP of engineering",
    "Senior machine learning engineer",
)

MENTEE_TITLES = (
    "Junior backend developer",
    "Graduate software engineer",
    "Data analyst",
    "Frontend developer",
    "QA engineer moving into development",
    "Computer science student",
    "Associate product manager",
    "Cloud support engineer",
    "Engineering intern",
    "Mobile developer",
)

SKILLS = (
    "python",
    "go",
    "typescript",
    "system design",
    "kubernetes",
    "cloud architecture",
    "sql",
    "data modelling",
    "machine learning",
    "observability",
    "security",
    "testing",
    "technical writing",
    "public speaking",
    "people management",
    "hiring",
    "product strategy",
    "stakeholder management",
    "negotiation",
    "career planning",
)

INTERESTS = (
    "hiking",
    "chess",
    "photography",
    "cooking",
    "football",
    "running",
    "music",
    "gardening",
    "reading",
    "cycling",
    "climbing",
    "board games",
    "volunteering",
    "travel",
    "yoga",
    "painting",
    "open source",
    "languages",
)

VALUES = (
    "curiosity",
    "honesty",
    "inclusion",
    "sustainability",
    "craftsmanship",
    "kindness",
    "growth",
    "autonomy",
    "collaboration",
    "impact",
)

MENTOR_BIO_OPENINGS = (
    "I have built software for {years} years, most of it in distributed teams.",
    "After {years} years in industry I still learn most from the people I mentor.",
    "I started as a self-taught developer and have led teams for {years} years.",
    "{years} years in, I care most about helping people find their own path.",
)

MENTEE_BIO_OPENINGS = (
    "I joined the industry {years} years ago after a career change.",
    "I am {years} years into my first engineering role.",
    "I finished my degree recently and have {years} years of internship experience.",
    "I moved into tech {years} years ago and want to grow faster.",
)

BIO_CLOSINGS = (
    "Outside work you will find me {interest}.",
    "When I am offline I enjoy {interest}.",
    "I recharge with {interest} at the weekend.",
)

INTEREST_PHRASES = {
    "hiking": "hiking",
    "chess": "playing chess",
    "photography": "taking photographs",
    "cooking": "cooking for friends",
    "football": "playing football",
    "running": "running",
    "music": "playing music",
    "gardening": "gardening",
    "reading": "reading",
    "cycling": "cycling",
    "climbing": "climbing",
    "board games": "playing board games",
    "volunteering": "volunteering",
    "travel": "travelling",
    "yoga": "doing yoga",
    "painting": "painting",
    "open source": "contributing to open source",
    "languages": "learning languages",
}

MENTOR_GOALS = (
    "Help someone earlier in their career avoid the mistakes I made, and get better at "
    "coaching rather than telling.",
    "Practise mentoring across time zones before I start managing a distributed team.",
    "Give back to the community that helped me, and hear how engineering works elsewhere.",
    "Learn how younger engineers see our field and sharpen my own listening skills.",
)

MENTEE_GOALS = (
    "Get ready for a senior role within two years and learn how to lead a technical design.",
    "Build confidence presenting my work and understand how promotions really work.",
    "Move from support into software engineering and build a portfolio of real projects.",
    "Learn how experienced engineers plan their careers and balance work with family.",
    "Understand system design well enough to own a service end to end.",
)

DECLINE_NOTES = (
    "This cycle is full; please apply again for the next one.",
    "We could not find a mentor with matching skills this time.",
)
